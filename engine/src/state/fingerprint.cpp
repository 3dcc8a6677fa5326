// A pipeline's StateFingerprint: what decides the order and the bytes it delivers.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <initializer_list>
#include <string_view>
#include <vector>

#include "graph/assembly.hpp"
#include "spec/stage_options_impl.hpp"

namespace feedgraph {

namespace {
std::uint64_t fnv1a(std::uint64_t h, const void* data, std::size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}
}  // namespace

void fingerprint_files(StateFingerprint& f, const std::vector<DataFileIdentity>& files) {
  f.file_count = static_cast<std::int64_t>(files.size());
  f.data_bytes = 0;
  for (const auto& file : files) f.data_bytes += file.bytes;
  f.files.clear();
  f.file_groups.clear();
  if (files.size() <= StateFingerprint::kListedFiles) {
    f.files = files;
    return;
  }
  const std::size_t n = files.size(), groups = StateFingerprint::kFileGroups;
  for (std::size_t g = 0; g < groups; ++g) {
    const std::size_t begin = g * n / groups, end = (g + 1) * n / groups;
    DataFileGroup group{files[begin].path, static_cast<std::int64_t>(end - begin), 0, 0xcbf29ce484222325ull};
    for (std::size_t i = begin; i < end; ++i) {
      group.bytes += files[i].bytes;
      group.digest = fnv1a(group.digest, files[i].path.data(), files[i].path.size() + 1);  // with its NUL
      group.digest = fnv1a(group.digest, &files[i].bytes, sizeof files[i].bytes);
    }
    f.file_groups.push_back(std::move(group));
  }
}

}  // namespace feedgraph

namespace feedgraph::detail {
namespace {

/// "name" or "{name: {key: value, ...}}" in flow style, keys as written: the same file gives the same text.
/// `leave_out`: keys that are not the stage's (the engine's dataset keys).
std::string canonical(const StageSpec& stage, std::initializer_list<std::string_view> leave_out = {}) {
  const YAML::Node options = StageOptionsAccess::node(stage.options);
  if (!options || !options.IsMap()) return stage.name;
  YAML::Emitter out;
  out << YAML::Flow << YAML::BeginMap << YAML::Key << stage.name << YAML::Value << YAML::BeginMap;
  for (const auto& entry : options) {
    const auto key = entry.first.as<std::string>();
    if (std::find(leave_out.begin(), leave_out.end(), key) != leave_out.end()) continue;
    out << YAML::Key << key << YAML::Value << entry.second;
  }
  out << YAML::EndMap << YAML::EndMap;
  return out.c_str();
}

}  // namespace

StateFingerprint fingerprint_of(const Assembly& a) {
  const PipelineSpec& spec = a.spec;
  StateFingerprint f;
  f.source = spec.dataset.name;
  f.samples = a.base.dataset_samples;
  f.layout = a.base.source_layout.describe();
  fingerprint_files(f, a.source->files());
  f.shuffle = spec.data.shuffle;
  f.seed = spec.seed;
  f.batch_size = spec.batch_size;
  f.drop_last = spec.drop_last;
  f.on_error = spec.data.on_error == DatasetPolicy::OnError::skip ? "skip" : "fail";
  for (const auto& t : spec.transforms) f.transforms.push_back(canonical(t));
  for (const auto& t : spec.device_transforms) f.device_transforms.push_back(canonical(t));
  // A synthetic source's options (seed, shape, classes) decide its bytes: they count as the data.
  if (f.file_count == 0)
    f.transforms.insert(f.transforms.begin(), canonical(spec.dataset, {"source", "shuffle", "shard", "on_error",
                                                                         "max_skipped", "cache", "path"}));
  return f;
}

}  // namespace feedgraph::detail
