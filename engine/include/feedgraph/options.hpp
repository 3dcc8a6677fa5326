#pragma once
// The options block of one stage, as written in a pipeline file, read with the file's strictness.
//
// A stage factory reads its options through typed getters. Each getter marks its key as known; after the
// factory returns, the engine rejects any key no getter asked for. Every problem is a ConfigError that
// points at the offending value: `graphs/x.yaml:12:14: transforms[0].normalize.std: must be > 0`.
//
//   auto make_normalize(const feedgraph::StageOptions& o) {
//     double mean = o.number("mean", 0.0);
//     double std  = o.number("std", 1.0, {.greater_than = 0.0});
//     return std::make_unique<Normalize>(mean, std);
//   }
#include <cstdint>
#include <limits>
#include <optional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace feedgraph {

namespace detail {
struct StageOptionsAccess;
}

/// Bounds for a numeric option; both ends inclusive unless `greater_than` is set.
struct Range {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  /// When set, the value must be strictly greater than this.
  std::optional<double> greater_than = std::nullopt;
};

class StageOptions {
 public:
  /// No options at all (a stage written `- flip` or `kernel: checksum` with nothing else). Throws nothing.
  StageOptions();
  ~StageOptions();
  StageOptions(const StageOptions&);
  StageOptions& operator=(const StageOptions&);
  StageOptions(StageOptions&&) noexcept;
  StageOptions& operator=(StageOptions&&) noexcept;

  /// Parse a YAML mapping written in code, e.g. `StageOptions::parse("{mean: 0.5, std: 0.25}")`. Throws
  /// ConfigError (origin:line:col) when the text is not YAML, not a mapping, or holds a key twice.
  static StageOptions parse(std::string_view yaml_map, std::string origin = "<code>");

  /// Whether the block holds `key`. Asking has() alone does not make the key known to reject_unknown().
  /// Throws nothing.
  bool has(std::string_view key) const;
  /// The typed getters: the value of `key`, or `fallback` when the block lacks it. Each marks `key` as known
  /// and throws ConfigError at the value when it has the wrong type or lies outside `range`.
  double number(std::string_view key, double fallback, Range range = {}) const;
  std::int64_t integer(std::string_view key, std::int64_t fallback, Range range = {}) const;
  bool boolean(std::string_view key, bool fallback) const;
  std::string text(std::string_view key, std::string fallback) const;
  /// A string that must be one of `allowed`. Throws ConfigError at the value when it is not a string or not
  /// one of them.
  std::string choice(std::string_view key, std::string fallback, const std::vector<std::string>& allowed) const;
  /// A non-empty sequence of integers, each within `range`. Throws ConfigError at the value (or at the
  /// element) otherwise.
  std::vector<std::int64_t> integers(std::string_view key, std::vector<std::int64_t> fallback,
                                     Range range = {}) const;
  /// A number or a non-empty sequence of numbers, each within `range`: `mean: 0.5` reads as {0.5},
  /// `mean: [0.485, 0.456, 0.406]` as three values (per-channel options). Throws ConfigError at the value (or
  /// at the element) otherwise.
  std::vector<double> numbers(std::string_view key, std::vector<double> fallback, Range range = {}) const;
  /// A non-empty sequence of strings (`extensions: [jpg, png]`). Throws ConfigError at the value (or at the
  /// element) otherwise.
  std::vector<std::string> texts(std::string_view key, std::vector<std::string> fallback) const;
  /// A nested mapping (missing → empty options). Its keys are checked along with this block's. Throws
  /// ConfigError at the value when it is neither a mapping nor empty.
  StageOptions child(std::string_view key) const;

  /// Throw a ConfigError positioned at `key` (or at the block itself when the key is absent).
  [[noreturn]] void fail(std::string_view key, const std::string& message) const;
  /// Throws ConfigError at the first key, in file order, that no getter has asked for (in child() blocks
  /// too), naming the keys that were asked for. Called by the engine after the factory returns.
  void reject_unknown() const;
  /// The key path of this block inside the pipeline file, e.g. `transforms[0].normalize`. Throws nothing.
  const std::string& path() const;

  /// Whether this and `other` are copies of one options block (copies share the parsed block and its record
  /// of the keys read; nothing is parsed again).
  bool same_block(const StageOptions& other) const noexcept { return impl_ == other.impl_; }

 private:
  friend struct detail::StageOptionsAccess;  // the engine's parser makes blocks from the parsed file
  struct Impl;  // the parsed YAML and the record of which keys were read
  explicit StageOptions(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace feedgraph
