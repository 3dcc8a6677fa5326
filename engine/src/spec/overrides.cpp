// Applying `--set` overrides to a pipeline tree (overrides.hpp).
#include "spec/overrides.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>
#include <string_view>

#include <fmt/format.h>

#include "spec/yaml_values.hpp"

namespace feedgraph::detail {
namespace {

/// One segment of an override's key path. `transforms[0]` is a key then an index; a bare number (`.0.`)
/// indexes a sequence, or names a key when the node there is a mapping.
struct Step {
  std::string key;                   ///< empty for a bracketed index
  std::optional<std::size_t> index;  ///< set for `[N]` and for an all-digit segment
};

constexpr std::string_view kForm =
    "expected key.path=value, e.g. concurrency.read=8 or transforms[0].normalize.std=0.5";

[[noreturn]] void bad_override(const std::string& text, const std::string& path, const std::string& message) {
  throw ConfigError("--set", 0, 0, path, fmt::format("'{}': {}", text, message));
}

std::optional<std::size_t> parse_index(std::string_view s) {
  std::size_t n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return n;
}

std::vector<Step> parse_path(const std::string& text, std::string_view path) {
  std::vector<Step> steps;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t dot = std::min(path.find('.', start), path.size());
    std::string_view piece = path.substr(start, dot - start);
    std::size_t bracket = std::min(piece.find('['), piece.size());
    std::string_view name = piece.substr(0, bracket);
    if (name.empty()) bad_override(text, "", std::string(kForm));
    steps.push_back({std::string(name), parse_index(name)});
    for (std::string_view rest = piece.substr(bracket); !rest.empty();) {
      std::size_t close = rest.find(']');
      std::optional<std::size_t> index =
          close == std::string_view::npos ? std::nullopt : parse_index(rest.substr(1, close - 1));
      if (!index) bad_override(text, "", std::string(kForm));
      steps.push_back({std::string(), index});
      rest.remove_prefix(close + 1);
    }
    start = dot + 1;
  }
  return steps;
}

void apply_one(YAML::Node& root, const std::string& text, YamlOrigin& origin) {
  std::size_t equals = text.find('=');
  if (equals == std::string::npos) {
    bad_override(text, "", std::string(kForm));
  }
  // `--set "concurrency.read = 8"` is meant as concurrency.read; the value's spaces are YAML's business.
  std::string_view key_path = std::string_view(text).substr(0, equals);
  while (!key_path.empty() && std::isspace(static_cast<unsigned char>(key_path.back()))) key_path.remove_suffix(1);
  while (!key_path.empty() && std::isspace(static_cast<unsigned char>(key_path.front()))) key_path.remove_prefix(1);
  std::vector<Step> steps = parse_path(text, key_path);

  YAML::Node value;
  try {
    value = YAML::Load(text.substr(equals + 1));
  } catch (const YAML::Exception& e) {
    bad_override(text, "", fmt::format("the value is not valid YAML: {}", e.msg));
  }

  // yaml-cpp nodes are references: `node = other` would overwrite the tree node `node` refers to, so moving
  // down the tree uses reset(), and only the final step assigns.
  YAML::Node node;
  node.reset(root);
  std::string path;
  // The outermost node this override created answers for everything under it: `compute.kernel=spin` on a file
  // without `compute` wrote the whole `compute` block.
  std::optional<std::string> created;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const Step& step = steps[i];
    bool last = i + 1 == steps.size();
    YAML::Node next;
    if (step.index && (step.key.empty() || node.IsSequence())) {
      if (!node.IsSequence()) {
        bad_override(text, path, fmt::format("cannot index {}: it is {}, not a sequence", path, describe(node)));
      }
      if (*step.index >= node.size()) {
        bad_override(text, path, fmt::format("index {} is out of range: {} has {} entries", *step.index, path,
                                             node.size()));
      }
      path = index_key(path, *step.index);
      next.reset(node[*step.index]);
    } else {
      if (!node.IsMap()) {
        bad_override(text, path, fmt::format("cannot set '{}' inside {}: it is {}, not a mapping", step.key,
                                             path.empty() ? std::string("the top level") : path, describe(node)));
      }
      path = join_key(path, step.key);
      next.reset(node[step.key]);
    }
    if (last) {
      next = value;
    } else if (!next.IsDefined() || next.IsNull()) {
      // A block that is absent or empty (`compute:`) becomes a mapping to hold the new key.
      next = YAML::Node(YAML::NodeType::Map);
      if (!created) created = path;
    }
    node.reset(next);
  }
  origin.overrides.record(created.value_or(path), text);
}

}  // namespace

void apply_overrides(YAML::Node& root, const std::vector<std::string>& overrides, YamlOrigin& origin) {
  for (const std::string& text : overrides) apply_one(root, text, origin);
}

}  // namespace feedgraph::detail
