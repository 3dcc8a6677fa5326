// Reading a pipeline file: text → YAML tree → overrides → duplicate check → schema.
#include <cerrno>
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include "feedgraph/errors.hpp"
#include "feedgraph/spec.hpp"
#include "spec/overrides.hpp"
#include "spec/pipeline_schema.hpp"
#include "spec/yaml_origin.hpp"

namespace feedgraph {
namespace {

std::string read_file(const std::string& path) {
  // stdio rather than iostreams: errno is reliable here, and "cannot read: No such file or directory" is
  // the message people need.
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  auto fail = [&] { return ConfigError(path, "cannot read: " + std::generic_category().message(errno)); };
  if (!file) throw fail();
  std::string text;
  char chunk[1 << 16];
  std::size_t n = 0;
  while ((n = std::fread(chunk, 1, sizeof chunk, file.get())) > 0) text.append(chunk, n);
  if (std::ferror(file.get())) throw fail();  // e.g. EISDIR: fopen opens a directory, reading it fails
  return text;
}

/// Where each document of a YAML stream starts, from yaml-cpp's parser events, without building a node.
class DocumentMarks final : public YAML::EventHandler {
 public:
  struct Document {
    YAML::Mark start;  ///< its first token
    YAML::Mark root;   ///< its root node's
    bool has_root = false;
  };
  std::vector<Document> documents;

  void OnDocumentStart(const YAML::Mark& mark) override { documents.push_back({mark, mark, false}); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t, const std::string&) override {
    node(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    node(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    node(mark);
  }
  void OnMapEnd() override {}

 private:
  void node(const YAML::Mark& mark) {
    if (documents.empty() || documents.back().has_root) return;
    documents.back().root = mark;
    documents.back().has_root = true;
  }
};

/// A pipeline is a few hundred YAML nodes; this many is no pipeline, whatever the file's size.
constexpr std::size_t kMaxNodes = 10000;

/// Counts `node`'s values as every later pass will visit them, aliases expanded, and stops at the limit.
/// yaml-cpp shares an aliased node rather than copying it, so parsing a file whose aliases nest aliases is
/// linear, but each walk over the tree (duplicate keys, overrides, the schema) expands them: nine levels of
/// nine aliases took 9 s before it reached an error. Counting up to the limit takes microseconds.
bool within_node_limit(const YAML::Node& node, std::size_t& count) {
  if (++count > kMaxNodes) return false;
  if (node.IsSequence()) {
    for (const auto& item : node)
      if (!within_node_limit(item, count)) return false;
  } else if (node.IsMap()) {
    for (const auto& pair : node)
      if (!within_node_limit(pair.first, count) || !within_node_limit(pair.second, count)) return false;
  }
  return true;
}

// The one document of the file, which must be a mapping; anything else is not a pipeline at all.
//
// Documents are counted from parser events before the first is built, rather than with YAML::LoadAll: on a
// token that cannot start a node (a stray `,` or `]`), yaml-cpp 0.7 reports an empty document there without
// consuming the token, and LoadAll asks again forever, allocating as it goes (jbeder/yaml-cpp#1040, found
// by fuzz_pipeline; fixed after 0.8). A document that starts where the one before it started is that token.
YAML::Node load_document(std::string_view yaml, const std::string& file) {
  const std::string text(yaml);
  DocumentMarks marks;
  YAML::Node root;
  try {
    std::istringstream stream(text);
    YAML::Parser parser(stream);
    // Three at most: a second document is an error, and a third shows whether the second consumed anything.
    while (marks.documents.size() < 3 && parser.HandleNextDocument(marks)) {
      const auto& d = marks.documents;
      if (d.size() >= 2 && d[d.size() - 1].start.pos == d[d.size() - 2].start.pos) {
        const YAML::Mark& at = d.back().start;
        const auto pos = static_cast<std::size_t>(at.pos);
        const bool printable = pos < text.size() && text[pos] > ' ' && text[pos] < 0x7F;
        throw ConfigError(file, at.line + 1, at.column + 1, "",
                          printable ? fmt::format("unexpected '{}': no YAML value starts with it", text[pos])
                                    : std::string("unexpected text: no YAML value starts here"));
      }
    }
    if (marks.documents.size() <= 1) root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(file, e.mark.line + 1, e.mark.column + 1, "", e.msg);
  }
  if (marks.documents.empty() || (marks.documents.size() == 1 && root.IsNull())) {
    throw ConfigError(file, "empty pipeline file");
  }
  if (marks.documents.size() > 1) {
    const YAML::Mark mark = marks.documents[1].root;
    throw ConfigError(file, mark.line + 1, mark.column + 1, "",
                      "a pipeline file holds one YAML document; a second one starts here");
  }
  if (!root.IsMap()) {
    throw ConfigError(file, fmt::format("not a pipeline: the top level must be a mapping of keys, not {}",
                                        root.IsSequence() ? "a sequence" : "plain text"));
  }
  if (std::size_t count = 0; !within_node_limit(root, count)) {
    throw ConfigError(file, fmt::format("the file expands to more than {} YAML values (aliases within aliases?); "
                                        "a pipeline is a few hundred",
                                        kMaxNodes));
  }
  return root;
}

}  // namespace

PipelineSpec parse_pipeline(std::string_view yaml, const std::string& origin,
                            const std::vector<std::string>& overrides) {
  auto source = std::make_shared<detail::YamlOrigin>();
  source->file = origin;
  YAML::Node root = load_document(yaml, origin);
  detail::apply_overrides(root, overrides, *source);
  // After the overrides, so that a duplicate inside an override's value is caught too (and named as one).
  detail::check_no_duplicates(root, *source, "");
  return detail::read_pipeline(root, source);
}

PipelineSpec load_pipeline(const std::string& path, const std::vector<std::string>& overrides) {
  return parse_pipeline(read_file(path), path, overrides);
}

}  // namespace feedgraph
