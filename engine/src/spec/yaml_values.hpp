#pragma once
// Typed, strict reads of pipeline values, shared by the pipeline schema and StageOptions. Every failure is a
// ConfigError at the value: wrong type, out of range, not one of the choices.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "feedgraph/options.hpp"
#include "spec/yaml_origin.hpp"

namespace feedgraph::detail {

// ValueAt and MapAt cannot be assigned: a yaml-cpp Node is a reference, and assigning one Node over another
// writes through to the tree (`child = parent_block` would turn the parent's mapping into the child's). Build a
// new one instead.

/// One value of the file, with what an error about it needs.
struct ValueAt {
  const YamlOrigin* origin = nullptr;
  YAML::Node node;
  YAML::Mark mark;   ///< where errors about the value point
  std::string path;  ///< its key path, e.g. `concurrency.read`

  ValueAt& operator=(const ValueAt&) = delete;
  [[noreturn]] void fail(const std::string& message) const;
};

/// A mapping of the file, or nothing: a block written `key:` or left out reads as having no keys.
struct MapAt {
  const YamlOrigin* origin = nullptr;
  YAML::Node node;  ///< a Map, or Null / undefined
  YAML::Mark mark;  ///< the block's position, for errors about a key it lacks
  std::string path;

  MapAt& operator=(const MapAt&) = delete;

  struct Entry {
    YAML::Node key;
    ValueAt value;
  };
  /// The pairs in file order.
  std::vector<Entry> entries() const;
  /// The value of `key`; nullopt when absent.
  std::optional<ValueAt> find(std::string_view key) const;
  /// Throw for the first key, in file order, that is not in `known`.
  void expect_only(const std::vector<std::string>& known) const;
  /// `key`'s value as a nested block (absent → an empty one); throws unless it is a mapping or empty.
  MapAt block(std::string_view key) const;
};

/// The value as a block: a mapping, or empty (null). Anything else is an error at the value.
MapAt as_block(const ValueAt& value);

/// How a value reads in a message: `'abc'`, `the string "5"`, `a mapping`, `a sequence`, `nothing`.
std::string describe(const YAML::Node& node);

std::int64_t to_integer(const ValueAt& value, const Range& range = {});
double to_number(const ValueAt& value, const Range& range = {});
bool to_boolean(const ValueAt& value);
std::string to_text(const ValueAt& value);
std::string to_choice(const ValueAt& value, const std::vector<std::string>& allowed);
/// A non-empty sequence of integers, each within `range` (errors point at the element).
std::vector<std::int64_t> to_integers(const ValueAt& value, const Range& range = {});
/// A number (read as one value) or a non-empty sequence of numbers, each within `range`.
std::vector<double> to_numbers(const ValueAt& value, const Range& range = {});
/// A non-empty sequence of strings.
std::vector<std::string> to_texts(const ValueAt& value);
/// A byte size written `4GiB`, `512 MiB` or as a plain count.
std::uint64_t to_byte_size(const ValueAt& value);

}  // namespace feedgraph::detail
