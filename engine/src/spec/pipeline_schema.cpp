// The pipeline schema (pipeline_schema.hpp). Structure first: a misspelt key is reported as unknown before
// any value is read, since the value's error would be a confusing second symptom of the typo.
#include "spec/pipeline_schema.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "spec/fault_schema.hpp"
#include "spec/stage_options_impl.hpp"
#include "spec/yaml_values.hpp"

namespace feedgraph::detail {
namespace {

const std::vector<std::string> kTopLevelKeys{
    "name",     "device",   "batch_size", "epochs",  "drop_last", "seed",    "dataset",       "transforms",
    "device_transforms",    "concurrency", "prefetch", "transfer", "buffers", "compute",      "ordered",
    "verify",   "memory_budget", "watchdog_s", "threads", "faults"};

// The dataset keys the engine reads itself; the source never sees them.
const std::vector<std::string> kDatasetPolicyKeys{"shuffle", "shard", "on_error", "max_skipped", "cache"};

// Counts (workers, batches in flight, buffers): at least one, and they end up in an `int`.
int to_count(const ValueAt& value) {
  return static_cast<int>(to_integer(value, {.min = 1, .max = std::numeric_limits<int>::max()}));
}

// concurrency.* and prefetch: a count, or `auto` (kAuto), which a short tune resolves at start-up.
int to_count_or_auto(const ValueAt& value) {
  const YAML::Node& node = value.node;
  if (node.IsScalar() && node.Scalar() == "auto") return kAuto;
  // Named here rather than by to_integer, so that the message offers `auto` too ("fast" is no count).
  const bool numeric = node.IsScalar() && !node.Scalar().empty() &&
                       (std::isdigit(static_cast<unsigned char>(node.Scalar()[0])) || node.Scalar()[0] == '-' ||
                        node.Scalar()[0] == '+');
  if (!numeric) value.fail("expected a count (an integer >= 1) or `auto`, got " + describe(node));
  return to_count(value);
}

std::string to_name(const ValueAt& value) {
  std::string name = to_text(value);
  if (name.empty()) value.fail("must not be empty");
  return name;
}

StageOptions make_options(YAML::Node node, YAML::Mark mark, const std::shared_ptr<const YamlOrigin>& origin,
                          std::string path) {
  return StageOptionsAccess::make(std::move(node), mark, origin, std::move(path));
}

int to_shard_number(const ValueAt& value, int min) {
  return static_cast<int>(to_integer(value, {.min = static_cast<double>(min), .max = 1e6}));
}

// `shard: auto` | `shard: {index: 0, count: 2, uneven: pad}` | `shard: {index: auto, count: auto, uneven: drop}`
ShardSpec read_shard(const ValueAt& value) {
  ShardSpec shard;
  if (value.node.IsScalar() && value.node.Scalar() == "auto") {
    shard.automatic = true;
    return shard;
  }
  if (!value.node.IsMap()) value.fail("expected `auto` or {index, count, uneven}, got " + describe(value.node));
  MapAt block = as_block(value);
  block.expect_only({"index", "count", "uneven"});
  const auto index = block.find("index");
  const auto count = block.find("count");
  const bool index_auto = index && index->node.IsScalar() && index->node.Scalar() == "auto";
  const bool count_auto = count && count->node.IsScalar() && count->node.Scalar() == "auto";
  if (index_auto != count_auto) value.fail("index and count are either both `auto` or both numbers");
  shard.automatic = index_auto;
  if (!shard.automatic) {
    if (!count) value.fail("missing count: how many shards the dataset is split into");
    if (!index) value.fail("missing index: which of the shards this process reads");
    shard.count = to_shard_number(*count, 1);
    shard.index = to_shard_number(*index, 0);
    if (shard.index >= shard.count) index->fail("must be < count (" + std::to_string(shard.count) + ")");
  }
  if (auto v = block.find("uneven")) {
    shard.uneven = to_choice(*v, {"pad", "drop"}) == "pad" ? ShardSpec::Uneven::pad : ShardSpec::Uneven::drop;
  }
  return shard;
}

// Takes the engine's own keys out of the dataset block (they are checked here), leaving the source's.
DatasetPolicy read_dataset_policy(const MapAt& block) {
  DatasetPolicy policy;
  if (auto v = block.find("shuffle")) policy.shuffle = to_boolean(*v);
  if (auto v = block.find("shard")) policy.shard = read_shard(*v);
  if (auto v = block.find("on_error")) {
    policy.on_error = to_choice(*v, {"fail", "skip"}) == "skip" ? DatasetPolicy::OnError::skip : DatasetPolicy::OnError::fail;
  }
  if (auto v = block.find("max_skipped")) policy.max_skipped = to_integer(*v, {.min = 0});
  if (auto v = block.find("cache")) policy.cache = to_boolean(*v);
  return policy;
}

// `dataset` and `compute` name their stage with one key (`source`, `kernel`); every other key of the block
// belongs to that stage and goes to its factory untouched, which checks it when the stage is built.
StageSpec read_named_stage(const ValueAt& value, const std::string& name_key, std::string fallback,
                           const std::shared_ptr<const YamlOrigin>& origin,
                           const std::vector<std::string>& engine_keys = {}) {
  MapAt block = as_block(value);
  StageSpec stage{std::move(fallback), {}};
  YAML::Node options(YAML::NodeType::Map);
  for (const MapAt::Entry& entry : block.entries()) {
    const bool engine_key = entry.key.IsScalar() && std::find(engine_keys.begin(), engine_keys.end(),
                                                              entry.key.Scalar()) != engine_keys.end();
    if (engine_key) continue;
    if (entry.key.IsScalar() && entry.key.Scalar() == name_key) {
      stage.name = to_name(entry.value);
    } else {
      options.force_insert(entry.key, entry.value.node);  // the same nodes: their marks stay the file's
    }
  }
  stage.options = make_options(options, block.mark, origin, block.path);
  return stage;
}

// A transform is a bare name (`- flip`) or one key naming it, holding its options (`- normalize: {std: 2}`).
StageSpec read_transform(const ValueAt& item, const std::shared_ptr<const YamlOrigin>& origin) {
  if (item.node.IsScalar()) {
    std::string name = to_name(item);
    return StageSpec{name, make_options(YAML::Node(), item.mark, origin, join_key(item.path, name))};
  }
  if (!item.node.IsMap() || item.node.size() == 0) {
    item.fail(fmt::format("expected a transform: a name, or a name holding its options such as "
                          "`normalize: {{mean: 0.5}}`, got {}",
                          describe(item.node)));
  }
  std::vector<MapAt::Entry> entries = as_block(item).entries();
  const MapAt::Entry& first = entries.front();
  if (entries.size() > 1) {
    // Almost always options written at the name's indentation instead of under it.
    const MapAt::Entry& second = entries[1];
    throw error_at(*origin, second.key.Mark(), item.path,
                   fmt::format("a transform is one key, its name, holding its options: should '{}' be indented "
                               "under '{}'?",
                               second.key.IsScalar() ? second.key.Scalar() : describe(second.key),
                               first.key.IsScalar() ? first.key.Scalar() : describe(first.key)));
  }
  std::string name = to_name(ValueAt{origin.get(), first.key, first.key.Mark(), item.path});
  const ValueAt& options = first.value;
  if (!options.node.IsMap() && !options.node.IsNull()) {
    options.fail(fmt::format("expected the options of '{}' as a mapping, got {}", name, describe(options.node)));
  }
  return StageSpec{name, make_options(options.node, options.mark, origin, options.path)};
}

std::vector<StageSpec> read_transforms(const ValueAt& value, const std::shared_ptr<const YamlOrigin>& origin) {
  if (value.node.IsNull()) return {};
  if (!value.node.IsSequence()) {
    value.fail(fmt::format("expected a sequence of transforms, e.g. [flip, {{normalize: {{std: 2}}}}], got {}",
                           describe(value.node)));
  }
  std::vector<StageSpec> transforms;
  for (std::size_t i = 0; i < value.node.size(); ++i) {
    const YAML::Node item = value.node[i];
    transforms.push_back(read_transform(ValueAt{origin.get(), item, item.Mark(), index_key(value.path, i)}, origin));
  }
  return transforms;
}

DeviceSelection read_device(const ValueAt& value) {
  try {
    return parse_device(to_text(value));
  } catch (const ConfigError&) {
    throw;
  } catch (const Error& e) {
    value.fail(e.what());
  }
}

// A file called `graphs/seed.yaml` runs as `seed` unless it says otherwise; text from code has no stem.
std::string default_name(const std::string& file) {
  std::string stem = std::filesystem::path(file).stem().string();
  return stem.empty() || file.starts_with('<') ? PipelineSpec{}.name : stem;
}

void read_concurrency(const MapAt& block, ConcurrencySpec& out) {
  block.expect_only({"read", "transform", "pin"});
  if (auto v = block.find("read")) out.read = to_count_or_auto(*v);
  if (auto v = block.find("transform")) out.transform = to_count_or_auto(*v);
  if (auto v = block.find("pin")) out.pin = to_count_or_auto(*v);
}

void read_transfer(const MapAt& block, TransferSpec& out) {
  block.expect_only({"pinned", "direct", "non_blocking", "copy_stream"});
  if (auto v = block.find("pinned")) out.pinned = to_boolean(*v);
  if (auto v = block.find("direct")) out.direct = to_boolean(*v);
  if (auto v = block.find("non_blocking")) out.non_blocking = to_boolean(*v);
  if (auto v = block.find("copy_stream")) out.copy_stream = to_boolean(*v);
}

void read_buffers(const MapAt& block, BufferSpec& out) {
  block.expect_only({"pinned", "device"});
  if (auto v = block.find("pinned")) out.pinned = to_count(*v);
  if (auto v = block.find("device")) out.device = to_count(*v);
}

}  // namespace

PipelineSpec read_pipeline(const YAML::Node& root, const std::shared_ptr<const YamlOrigin>& origin) {
  MapAt top{origin.get(), root, root.Mark(), ""};
  top.expect_only(kTopLevelKeys);

  PipelineSpec spec;
  spec.origin = origin->file;
  spec.top = make_options(root, root.Mark(), origin, "");
  spec.name = default_name(origin->file);
  if (auto v = top.find("name")) spec.name = to_name(*v);
  if (auto v = top.find("device")) spec.device = read_device(*v);
  if (auto v = top.find("batch_size")) spec.batch_size = to_integer(*v, {.min = 1});
  if (auto v = top.find("epochs")) spec.epochs = to_count(*v);
  if (auto v = top.find("drop_last")) spec.drop_last = to_boolean(*v);

  auto dataset = top.find("dataset");
  if (!dataset) {
    throw ConfigError(origin->file, 0, 0, "dataset",
                      "missing: every pipeline reads a dataset, e.g. `dataset: {source: synthetic, samples: 1024}`");
  }
  spec.dataset = read_named_stage(*dataset, "source", "synthetic", origin, kDatasetPolicyKeys);
  spec.data = read_dataset_policy(as_block(*dataset));
  if (auto v = top.find("seed")) spec.seed = static_cast<std::uint64_t>(to_integer(*v, {.min = 0}));
  if (auto v = top.find("transforms")) spec.transforms = read_transforms(*v, origin);
  if (auto v = top.find("device_transforms")) spec.device_transforms = read_transforms(*v, origin);

  read_concurrency(top.block("concurrency"), spec.concurrency);
  if (auto v = top.find("prefetch")) spec.prefetch = to_count_or_auto(*v);
  read_transfer(top.block("transfer"), spec.transfer);
  read_buffers(top.block("buffers"), spec.buffers);

  spec.compute = read_named_stage(top.find("compute").value_or(ValueAt{origin.get(), YAML::Node(), root.Mark(),
                                                                       "compute"}),
                                  "kernel", "checksum", origin);
  if (auto v = top.find("ordered")) spec.ordered = to_boolean(*v);
  if (auto v = top.find("verify")) spec.verify = to_boolean(*v);
  if (auto v = top.find("memory_budget")) spec.memory_budget = to_byte_size(*v);
  if (auto v = top.find("watchdog_s")) spec.watchdog_s = to_number(*v, {.greater_than = 0.0});
  if (auto v = top.find("threads")) {
    spec.threads = v->node.IsScalar() && v->node.Scalar() == "auto" ? 0 : static_cast<int>(to_integer(*v, {.min = 1, .max = 4096}));
  }
  if (auto v = top.find("faults")) spec.faults = read_faults(*v);
  return spec;
}

}  // namespace feedgraph::detail
