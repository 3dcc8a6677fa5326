// `feedgraph tune --write`: the pipeline file's own text with the tuned keys edited in place
// (feedgraph/tune.hpp: tuned_yaml). yaml-cpp cannot write a file back with its comments, so the edit is made
// on the text, at the positions yaml-cpp reports, and checked by parsing the result: it must be the original
// tree with exactly the tuned keys changed. Anything the edit cannot do that way is written out by yaml-cpp.
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "feedgraph/errors.hpp"
#include "feedgraph/tools/tune.hpp"

namespace feedgraph {
namespace {

constexpr std::string_view kCommentStart = "# tuned by feedgraph tune";

struct Edit {
  std::size_t at = 0;
  std::size_t length = 0;  ///< bytes replaced (0: an insertion)
  std::string text;
  std::size_t order = 0;  ///< the order the edits were made in
};

/// Byte offsets of line starts, to turn yaml-cpp's 0-based line and column into an offset.
std::vector<std::size_t> line_starts(std::string_view text) {
  std::vector<std::size_t> starts{0};
  for (std::size_t i = 0; i < text.size(); ++i)
    if (text[i] == '\n') starts.push_back(i + 1);
  return starts;
}

std::optional<std::size_t> offset_of(const YAML::Mark& mark, const std::vector<std::size_t>& starts,
                                     std::string_view text) {
  if (mark.line < 0 || static_cast<std::size_t>(mark.line) >= starts.size()) return std::nullopt;
  const std::size_t at = starts[static_cast<std::size_t>(mark.line)] + static_cast<std::size_t>(mark.column);
  if (at > text.size()) return std::nullopt;
  return at;
}

/// The extent of the scalar that starts at `at`: a quoted one to its closing quote, a plain one (a count or
/// `auto`) to the first character that ends a plain scalar in block or flow context.
std::size_t scalar_length(std::string_view text, std::size_t at) {
  if (at >= text.size()) return 0;
  const char quote = text[at];
  if (quote == '"' || quote == '\'') {
    for (std::size_t i = at + 1; i < text.size(); ++i) {
      if (quote == '"' && text[i] == '\\') ++i;
      else if (text[i] == quote) {
        if (quote == '\'' && i + 1 < text.size() && text[i + 1] == '\'') ++i;  // '' is a quote inside
        else return i + 1 - at;
      }
    }
    return 0;
  }
  std::size_t i = at;
  while (i < text.size() && std::string_view(",}]#\n\r \t").find(text[i]) == std::string_view::npos) ++i;
  return i - at;
}

bool same_tree(const YAML::Node& a, const YAML::Node& b) {
  if (a.Type() != b.Type()) return false;
  switch (a.Type()) {
    case YAML::NodeType::Scalar: return a.Scalar() == b.Scalar();
    case YAML::NodeType::Sequence: {
      if (a.size() != b.size()) return false;
      for (std::size_t i = 0; i < a.size(); ++i)
        if (!same_tree(a[i], b[i])) return false;
      return true;
    }
    case YAML::NodeType::Map: {
      if (a.size() != b.size()) return false;
      auto ia = a.begin();
      auto ib = b.begin();
      for (; ia != a.end(); ++ia, ++ib)
        if (!same_tree(ia->first, ib->first) || !same_tree(ia->second, ib->second)) return false;
      return true;
    }
    default: return true;
  }
}

/// "concurrency.read" → {"concurrency", "read"}; "prefetch" → {"", "prefetch"}.
std::pair<std::string, std::string> split_key(const std::string& key) {
  const auto dot = key.find('.');
  if (dot == std::string::npos) return {"", key};
  return {key.substr(0, dot), key.substr(dot + 1)};
}

int value_for(const TuneSettings& s, const std::string& key) {
  if (key == "concurrency.read") return s.read;
  if (key == "concurrency.transform") return s.transform;
  if (key == "concurrency.pin") return s.pin;
  if (key == "prefetch") return s.prefetch;
  throw Error("tuned_yaml: not a tuned key: " + key);
}

/// The original tree with the tuned keys set: what the edited text must parse to.
YAML::Node expected_tree(const std::string& text, const TuneSettings& s, const std::vector<std::string>& keys) {
  YAML::Node root = YAML::Load(text);
  for (const auto& key : keys) {
    const auto [block, name] = split_key(key);
    if (block.empty()) {
      root[name] = std::to_string(value_for(s, key));
    } else {
      if (!root[block] || root[block].IsNull()) root[block] = YAML::Node(YAML::NodeType::Map);
      root[block][name] = std::to_string(value_for(s, key));
    }
  }
  return root;
}

/// Text edits for the tuned keys; nullopt where the layout is not one edited in place.
std::optional<std::vector<Edit>> edits_for(std::string_view text, const YAML::Node& root, const TuneSettings& s,
                                           const std::vector<std::string>& keys) {
  if (root.Style() == YAML::EmitterStyle::Flow) return std::nullopt;
  const auto starts = line_starts(text);
  std::vector<Edit> edits;
  std::vector<std::string> appended;  // lines for the end of the file, in the order of `keys`
  std::vector<std::string> new_concurrency;
  std::size_t concurrency_line = 0;  // where in `appended` a new concurrency block goes
  for (const auto& key : keys) {
    const auto [block, name] = split_key(key);
    const std::string value = std::to_string(value_for(s, key));
    const YAML::Node parent = block.empty() ? root : root[block];
    if (!block.empty() && (!parent || parent.IsNull())) {
      if (parent && parent.IsNull()) return std::nullopt;  // `concurrency:` with nothing: rare, write it out
      if (new_concurrency.empty()) concurrency_line = appended.size();
      new_concurrency.push_back(name + ": " + value);
      continue;
    }
    if (!parent.IsMap()) return std::nullopt;
    const YAML::Node node = parent[name];
    if (node) {
      if (!node.IsScalar()) return std::nullopt;
      const auto at = offset_of(node.Mark(), starts, text);
      if (!at) return std::nullopt;
      const std::size_t length = scalar_length(text, *at);
      if (length == 0) return std::nullopt;
      edits.push_back({*at, length, value});
      continue;
    }
    if (block.empty()) {
      appended.push_back(name + ": " + value);
      continue;
    }
    // A key the block lacks: inside a flow block before its `}`, else on a line of its own after the last key.
    const auto at = offset_of(parent.Mark(), starts, text);
    if (!at) return std::nullopt;
    if (parent.Style() == YAML::EmitterStyle::Flow) {
      if (text[*at] != '{') return std::nullopt;
      const std::size_t close = text.find('}', *at);
      if (close == std::string_view::npos) return std::nullopt;
      edits.push_back({close, 0, (parent.size() == 0 ? "" : ", ") + name + ": " + value});
    } else {
      const YAML::Node first_key = parent.begin()->first;
      YAML::Node last_value;
      for (const auto& pair : parent) last_value.reset(pair.second);
      const auto last = offset_of(last_value.Mark(), starts, text);
      if (!last) return std::nullopt;
      const std::size_t eol = std::min(text.find('\n', *last), text.size());
      edits.push_back({eol, 0, "\n" + std::string(static_cast<std::size_t>(first_key.Mark().column), ' ') + name +
                                   ": " + value});
    }
  }
  if (!new_concurrency.empty()) {
    std::string line = "concurrency: {";
    for (std::size_t i = 0; i < new_concurrency.size(); ++i) line += (i ? ", " : "") + new_concurrency[i];
    appended.insert(appended.begin() + static_cast<std::ptrdiff_t>(concurrency_line), line + "}");
  }
  if (!appended.empty()) {
    std::string tail = text.empty() || text.back() == '\n' ? "" : "\n";
    for (const auto& line : appended) tail += line + "\n";
    edits.push_back({text.size(), 0, tail});
  }
  return edits;
}

std::string with_comment(std::string_view text, const std::string& comment) {
  std::string body(text);
  if (body.starts_with(kCommentStart)) {
    const std::size_t eol = body.find('\n');
    body.erase(0, eol == std::string::npos ? body.size() : eol + 1);
  }
  if (comment.empty()) return body;
  std::string line = comment.starts_with("#") ? comment : "# " + comment;
  return line + "\n" + body;
}

}  // namespace

std::string tuned_yaml(std::string_view original, const std::string& origin, const TuneSettings& settings,
                       const std::vector<std::string>& keys, const std::string& comment) {
  const std::string text(original);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(origin, e.mark.line + 1, e.mark.column + 1, "", e.msg);
  }
  if (!root.IsMap()) throw ConfigError(origin, "not a pipeline: the top level must be a mapping of keys");
  const YAML::Node expected = expected_tree(text, settings, keys);

  if (auto edits = edits_for(text, root, settings, keys)) {
    std::string edited = text;
    // From the end, so that earlier offsets stay valid; of two insertions at one place the later key goes in
    // first, so that the earlier one lands in front of it and the keys keep their order.
    for (std::size_t i = 0; i < edits->size(); ++i) (*edits)[i].order = i;
    std::sort(edits->begin(), edits->end(),
              [](const Edit& a, const Edit& b) { return a.at != b.at ? a.at > b.at : a.order > b.order; });
    for (const auto& e : *edits) edited.replace(e.at, e.length, e.text);
    try {
      if (same_tree(YAML::Load(edited), expected)) return with_comment(edited, comment);
    } catch (const YAML::Exception&) {
      // fall through: written out whole below
    }
  }
  YAML::Emitter out;
  out << expected;
  return with_comment("# (written out again by yaml-cpp: the file's comments were not kept)\n" +
                          std::string(out.c_str()) + "\n",
                      comment);
}

}  // namespace feedgraph
