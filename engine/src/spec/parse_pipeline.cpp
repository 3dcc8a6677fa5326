// Reading a pipeline file: text → YAML tree → overrides → duplicate check → schema (DESIGN §4).
#include <cerrno>
#include <cstdio>
#include <memory>
#include <string>
#include <system_error>

#include <fmt/format.h>
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

// The one document of the file, which must be a mapping; anything else is not a pipeline at all.
YAML::Node load_document(std::string_view yaml, const std::string& file) {
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(std::string(yaml));
  } catch (const YAML::Exception& e) {
    throw ConfigError(file, e.mark.line + 1, e.mark.column + 1, "", e.msg);
  }
  if (documents.empty() || (documents.size() == 1 && documents[0].IsNull())) {
    throw ConfigError(file, "empty pipeline file");
  }
  if (documents.size() > 1) {
    const YAML::Mark mark = documents[1].Mark();
    throw ConfigError(file, mark.line + 1, mark.column + 1, "",
                      "a pipeline file holds one YAML document; a second one starts here");
  }
  YAML::Node root = documents[0];
  if (!root.IsMap()) {
    throw ConfigError(file, fmt::format("not a pipeline: the top level must be a mapping of keys, not {}",
                                        root.IsSequence() ? "a sequence" : "plain text"));
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
