// Positions and provenance of pipeline values (yaml_origin.hpp).
#include "spec/yaml_origin.hpp"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

namespace feedgraph::detail {

void OverrideLog::record(const std::string& path, const std::string& text) {
  std::erase_if(text_by_path_, [&](const auto& entry) { return is_within(entry.first, path); });
  text_by_path_.emplace(path, text);
}

const std::string* OverrideLog::find(std::string_view path) const {
  // The longest matching prefix is the override that wrote last there: record() erased anything an
  // override at a shorter prefix replaced afterwards.
  const std::string* best = nullptr;
  std::size_t best_length = 0;
  for (const auto& [written, text] : text_by_path_) {
    if (is_within(path, written) && (best == nullptr || written.size() >= best_length)) {
      best = &text;
      best_length = written.size();
    }
  }
  return best;
}

std::string join_key(std::string_view block, std::string_view key) {
  if (block.empty()) return std::string(key);
  if (key.empty()) return std::string(block);
  return fmt::format("{}.{}", block, key);
}

std::string index_key(std::string_view block, std::size_t index) { return fmt::format("{}[{}]", block, index); }

bool is_within(std::string_view path, std::string_view prefix) {
  if (prefix.empty()) return true;
  if (!path.starts_with(prefix)) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '.' || path[prefix.size()] == '[';
}

YAML::Mark value_mark(const YAML::Node& key, const YAML::Node& value) {
  if (value.IsNull() && value.Mark().line != key.Mark().line) return key.Mark();
  return value.Mark();
}

ConfigError error_at(const YamlOrigin& origin, const YAML::Mark& mark, const std::string& key_path,
                     const std::string& message) {
  if (const std::string* text = origin.overrides.find(key_path)) {
    return ConfigError("--set " + *text, 0, 0, key_path, message);
  }
  // yaml-cpp counts from 0 and uses -1 for "no position" (a node built in code).
  if (mark.line < 0) return ConfigError(origin.file, 0, 0, key_path, message);
  return ConfigError(origin.file, mark.line + 1, mark.column + 1, key_path, message);
}

void check_no_duplicates(const YAML::Node& node, const YamlOrigin& origin, const std::string& path) {
  if (node.IsSequence()) {
    for (std::size_t i = 0; i < node.size(); ++i) check_no_duplicates(node[i], origin, index_key(path, i));
    return;
  }
  if (!node.IsMap()) return;
  std::map<std::string, YAML::Mark, std::less<>> first_seen;
  for (const auto& pair : node) {
    const YAML::Node& key = pair.first;
    if (!key.IsScalar()) continue;  // a complex key is no schema key; the schema check reports it
    std::string key_path = join_key(path, key.Scalar());
    auto [it, inserted] = first_seen.emplace(key.Scalar(), key.Mark());
    if (!inserted) {
      // A line inside an override's own text would mislead; the override is named instead.
      bool from_file = origin.overrides.find(key_path) == nullptr && it->second.line >= 0;
      std::string message = from_file ? fmt::format("duplicate key '{}' (first at line {})", key.Scalar(),
                                                    it->second.line + 1)
                                      : fmt::format("duplicate key '{}'", key.Scalar());
      throw error_at(origin, key.Mark(), key_path, message);
    }
    check_no_duplicates(pair.second, origin, key_path);
  }
}

namespace {

// Levenshtein distance, for suggesting the key a typo meant.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string unknown_key_message(std::string_view key, const std::vector<std::string>& known) {
  if (known.empty()) return fmt::format("unknown key '{}' (this block takes no keys)", key);
  std::string message = fmt::format("unknown key '{}' (known: {})", key, fmt::join(known, ", "));
  // Suggest only a near miss: two edits catch a dropped, doubled or swapped letter, and a key shorter than
  // the edits is no near miss of anything.
  const std::string* closest = nullptr;
  std::size_t closest_distance = 3;
  for (const std::string& candidate : known) {
    std::size_t d = edit_distance(key, candidate);
    if (d < closest_distance && d < candidate.size()) {
      closest = &candidate;
      closest_distance = d;
    }
  }
  if (closest != nullptr) message += fmt::format("; did you mean '{}'?", *closest);
  return message;
}

}  // namespace feedgraph::detail
