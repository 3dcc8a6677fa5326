#pragma once
// Where each value of a parsed pipeline came from, so that every ConfigError points at it:
// a line and column of the file, or the `--set` override that put the value in place.
#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "feedgraph/errors.hpp"

namespace feedgraph::detail {

/// The `--set` overrides applied to a tree, by the key path each one wrote. A value an override put in place
/// has no line in the file (its yaml-cpp marks are positions inside the override's text), so errors about it
/// name the override instead.
class OverrideLog {
 public:
  /// `path` (canonical, e.g. `transforms[0].normalize.mean`) was written by `text`; what earlier overrides
  /// wrote at or under `path` has been replaced, so they no longer answer for it.
  void record(const std::string& path, const std::string& text);
  /// The override that wrote `path` or its nearest overridden parent; nullptr when the file did.
  const std::string* find(std::string_view path) const;

 private:
  std::map<std::string, std::string, std::less<>> text_by_path_;
};

/// One parse: the file name and the overrides applied to its tree. Shared by the StageOptions blocks of the
/// pipeline, which report their own errors long after parsing.
struct YamlOrigin {
  std::string file;
  OverrideLog overrides;
};

/// `a` + `b` → `a.b`; `` + `b` → `b`.
std::string join_key(std::string_view block, std::string_view key);
/// `transforms` + 0 → `transforms[0]`.
std::string index_key(std::string_view block, std::size_t index);
/// Whether `path` is `prefix` or lies under it (`a.b` and `a[0]` lie under `a`; `ab` does not).
bool is_within(std::string_view path, std::string_view prefix);

/// The position of a mapping's value. An empty value (`key:` and nothing) is a null whose yaml-cpp mark is the
/// next token, usually on a later line; an error about it belongs at its key.
YAML::Mark value_mark(const YAML::Node& key, const YAML::Node& value);

/// The error for `key_path` at `mark` (0-based, as yaml-cpp gives it), or at the override that wrote it.
ConfigError error_at(const YamlOrigin& origin, const YAML::Mark& mark, const std::string& key_path,
                     const std::string& message);

/// yaml-cpp 0.7 keeps every pair of a mapping, duplicates included, and answers lookups with the first:
/// reject a key written twice at any depth, at the second one.
void check_no_duplicates(const YAML::Node& node, const YamlOrigin& origin, const std::string& path);

/// "unknown key 'raed' (known: read, transform, pin); did you mean 'read'?"
std::string unknown_key_message(std::string_view key, const std::vector<std::string>& known);

}  // namespace feedgraph::detail
