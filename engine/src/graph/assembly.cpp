#include "graph/assembly.hpp"

#include "feedgraph/errors.hpp"
#include "stages/registry.hpp"

namespace feedgraph::detail {

Assembly assemble(const PipelineSpec& spec) {
  Assembly a;
  a.spec = spec;
  a.device = choose_device(spec.device);

  a.source = build_source(spec.dataset, StageContext{});
  const SampleLayout layout = a.source->layout();
  if (layout.bytes() == 0) spec.dataset.options.fail("", "the source's samples have no bytes");
  const StageContext ctx{layout, spec.batch_size};
  for (const auto& t : spec.transforms) a.transforms.push_back(build_transform(t, ctx));
  a.compute = build_compute(spec.compute, ctx);

  Plan& p = a.plan;
  p.backend = a.device.kind == BackendKind::cuda ? "cuda" : "host";
  p.device_index = a.device.index;
  p.device_name = a.device.name;
  p.device_reason = a.device.reason;
  p.layout = layout;
  p.samples = a.source->size();
  p.batches_per_epoch = spec.drop_last ? p.samples / spec.batch_size : (p.samples + spec.batch_size - 1) / spec.batch_size;
  if (p.batches_per_epoch == 0)
    throw ConfigError(spec.origin, 0, 0, "drop_last",
                      "the dataset's " + std::to_string(p.samples) + " samples make no full batch of " +
                          std::to_string(spec.batch_size) + ": nothing would run");
  p.batches = p.batches_per_epoch * spec.epochs;
  p.batch_bytes = layout.bytes() * static_cast<std::size_t>(std::min<std::int64_t>(spec.batch_size, p.samples));

  // Every byte the run will hold, counted before anything is allocated (DESIGN §1).
  const auto batch = static_cast<std::uint64_t>(p.batch_bytes);
  const auto slots = static_cast<std::uint64_t>(spec.device_buffers());
  const std::uint64_t host = static_cast<std::uint64_t>(spec.prefetch) * batch;
  (direct_pinned(spec) ? p.memory.pinned_bytes : p.memory.host_bytes) += host;
  p.memory.pinned_bytes += static_cast<std::uint64_t>(spec.pinned_slots()) * batch;
  p.memory.device_bytes = slots * batch + a.compute->scratch_bytes(a.device.kind);
  if (a.device.kind == BackendKind::cuda) p.memory.pinned_bytes += slots * 2 * sizeof(std::uint64_t);

  if (spec.memory_budget > 0 && p.memory.total() > spec.memory_budget)
    throw Error("memory: the graph needs " + format_bytes(p.memory.total()) + " (host " +
                format_bytes(p.memory.host_bytes) + ", pinned " + format_bytes(p.memory.pinned_bytes) + ", device " +
                format_bytes(p.memory.device_bytes) + "), over memory_budget " + format_bytes(spec.memory_budget) +
                ": lower prefetch, buffers.pinned, buffers.device or batch_size");
  return a;
}

}  // namespace feedgraph::detail
