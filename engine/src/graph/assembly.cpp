#include "graph/assembly.hpp"

#include "feedgraph/errors.hpp"
#include "stages/registry.hpp"

namespace feedgraph::detail {
namespace {

// `shard: auto` becomes the launcher's rank and world size (one shard of one when no launcher says).
ShardSpec resolve_shard(const ShardSpec& shard, const LauncherRank& rank, std::string& from) {
  if (!shard.automatic) return shard;
  ShardSpec resolved = shard;
  resolved.automatic = false;
  resolved.index = rank.rank;
  resolved.count = rank.world;
  from = rank.from ? rank.from : "no launcher variables: one shard";
  return resolved;
}

void plan_memory(Assembly& a, std::size_t staging_sample_bytes) {
  const PipelineSpec& spec = a.spec;
  Plan& p = a.plan;
  // Every byte the run will hold, counted before anything is allocated (DESIGN §1).
  const auto batch = static_cast<std::uint64_t>(p.batch_bytes);
  const auto prefetch = static_cast<std::uint64_t>(spec.prefetch);
  const auto slots = static_cast<std::uint64_t>(spec.device_buffers());
  if (!spec.batches_from_cache()) (direct_pinned(spec) ? p.memory.pinned_bytes : p.memory.host_bytes) += prefetch * batch;
  // Samples that change layout on their way to the batch wait in staging buffers, one per sample of each
  // batch in flight between read and transform.
  if (!a.chain.direct())
    p.memory.host_bytes += prefetch * static_cast<std::uint64_t>(spec.batch_size) * staging_sample_bytes;
  if (spec.data.cache) {
    p.memory.cache_bytes = a.source->total_bytes();
    (spec.batches_from_cache() && spec.transfer.pinned ? p.memory.pinned_bytes : p.memory.host_bytes) +=
        p.memory.cache_bytes;
    p.memory.host_bytes += static_cast<std::uint64_t>(p.dataset_samples) * sizeof(std::int64_t);  // its labels
  }
  p.memory.pinned_bytes += static_cast<std::uint64_t>(spec.pinned_slots()) * batch;
  const std::uint64_t labels = static_cast<std::uint64_t>(spec.batch_size) * sizeof(std::int64_t);
  const std::uint64_t transformed = a.device_transform.active()
                                        ? static_cast<std::uint64_t>(spec.batch_size) * a.device_transform.out.bytes()
                                        : 0;
  p.memory.device_bytes = slots * (batch + labels + transformed) + a.compute->scratch_bytes(a.device.kind);
  if (a.device.kind == BackendKind::cuda) p.memory.pinned_bytes += slots * (2 * sizeof(std::uint64_t) + labels);

  if (spec.memory_budget > 0 && p.memory.total() > spec.memory_budget)
    throw Error("memory: the graph needs " + format_bytes(p.memory.total()) + " (host " +
                format_bytes(p.memory.host_bytes) + ", pinned " + format_bytes(p.memory.pinned_bytes) + ", device " +
                format_bytes(p.memory.device_bytes) + "), over memory_budget " + format_bytes(spec.memory_budget) +
                ": lower prefetch, buffers.pinned, buffers.device or batch_size");
}

}  // namespace

std::unique_ptr<Assembly> assemble(const PipelineSpec& spec_in) {
  // `auto` is a question for a tune, not a size: no pool can be sized, or graph built, from it.
  if (const auto keys = spec_in.auto_keys(); !keys.empty()) {
    std::string list;
    for (const auto& k : keys) list += (list.empty() ? "" : ", ") + k;
    throw Error(list + ": `auto` is chosen by a short tune when the pipeline starts (feedgraph run and compare, "
                       "feedgraph::Pipeline, or feedgraph::resolve_auto in feedgraph/tune.hpp); plan() and run() "
                       "need a number");
  }
  auto owner = std::make_unique<Assembly>();
  Assembly& a = *owner;
  const LauncherRank rank = launcher_rank();
  a.spec = spec_in;
  Plan& p = a.plan;
  a.spec.data.shard = resolve_shard(spec_in.data.shard, rank, p.shard_from);
  const PipelineSpec& spec = a.spec;
  a.device = choose_device(spec.device, rank.local_rank);

  a.source = build_source(spec.dataset, StageContext{});
  const SampleLayout source_layout = a.source->layout();
  if (source_layout.fixed() && source_layout.bytes() == 0) spec.dataset.options.fail("", "the source's samples have no bytes");
  // Each transform is built for the layout the one before it leaves.
  SampleLayout layout = source_layout;
  for (const auto& t : spec.transforms) {
    a.transforms.push_back(build_transform(t, StageContext{layout, spec.batch_size}));
    layout = a.transforms.back()->output(layout);
  }
  if (!layout.fixed()) {
    const StageOptions& where = spec.transforms.empty() ? spec.dataset.options : spec.transforms.back().options;
    where.fail("", "samples still vary in size (" + layout.describe() +
                       ") where they enter the batch: end the transforms with one that fixes the size, such as "
                       "center_crop or random_resized_crop");
  }
  a.chain = SampleChain(&a.transforms, &spec.transforms, source_layout);
  a.device_transform = plan_device_transform(spec.device_transforms, layout);
  const SampleLayout compute_layout = a.device_transform.out;
  a.compute = build_compute(spec.compute, StageContext{compute_layout, spec.batch_size});

  p.backend = a.device.kind == BackendKind::cuda ? "cuda" : "host";
  p.device_index = a.device.index;
  p.device_name = a.device.name;
  p.device_reason = a.device.reason;
  p.source_layout = source_layout;
  p.transfer_layout = layout;
  p.layout = compute_layout;
  p.dataset_samples = a.source->size();
  p.shard_index = spec.data.shard.index;
  p.shard_count = spec.data.shard.count;
  if (p.dataset_samples < 1) spec.dataset.options.fail("", "the dataset has no samples");
  a.order = SampleOrder(p.dataset_samples, spec.data.shuffle, spec.seed, spec.data.shard);
  p.samples = a.order.size();
  p.batches_per_epoch = spec.drop_last ? p.samples / spec.batch_size : (p.samples + spec.batch_size - 1) / spec.batch_size;
  if (p.batches_per_epoch == 0)
    throw ConfigError(spec.origin, 0, 0, "drop_last",
                      "the dataset's " + std::to_string(p.samples) + " samples make no full batch of " +
                          std::to_string(spec.batch_size) + ": nothing would run");
  p.batches = p.batches_per_epoch * spec.epochs;
  p.batch_bytes = layout.bytes() * static_cast<std::size_t>(std::min<std::int64_t>(spec.batch_size, p.samples));
  plan_memory(a, a.chain.direct() ? 0 : a.source->largest_sample_bytes());
  return owner;
}

}  // namespace feedgraph::detail
