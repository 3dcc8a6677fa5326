// A run's buffers, allocated before the graph starts (run_buffers.hpp).
#include "graph/run_buffers.hpp"

#include <new>

#include "backend/batch_memory.hpp"
#include "feedgraph/errors.hpp"

namespace feedgraph::detail {

void RunBuffers::allocate(const Assembly& a, const Plan& plan, ComputeStage& stage, Backend& backend,
                          MemoryCounter& memory, const FaultPlan& faults) {
  try {
    allocate_all(a, plan, stage, backend, memory, faults);
  } catch (const std::bad_alloc&) {
    // operator new's answer carries no size; the plan's does, and says which part of it did not fit.
    throw Error("out of host memory while allocating the run's buffers (planned: " + format_bytes(plan.memory.host_bytes) +
                " host, " + format_bytes(plan.memory.pinned_bytes) + " pinned, " +
                format_bytes(plan.memory.device_bytes) + " device); lower prefetch, buffers or batch_size, or "
                "set memory_budget to have the plan checked first");
  }
}

void RunBuffers::allocate_all(const Assembly& a, const Plan& plan, ComputeStage& stage, Backend& backend,
                              MemoryCounter& memory, const FaultPlan& faults) {
  const std::size_t batch = plan.batch_bytes;
  const GraphShape& shape = plan.shape;
  const BackendKind kind = backend.kind();
  for (int i = 0; i < plan.settings.prefetch; ++i) {
    if (shape.from_cache) {
      host_.emplace_back();  // the token stays (it bounds the batches in flight); the bytes are the cache's
      continue;
    }
    if (shape.direct) {
      faults.refuse_if_injected("pinned", batch, kind);
      host_.push_back(backend.allocate_pinned(batch, memory));
      continue;
    }
    faults.refuse_if_injected("host", batch, kind);
    host_.emplace_back(allocate_batch_memory(batch), FreeBatchMemory{});  // touched, huge pages
    memory.add(batch);
  }
  if (!a.chain.direct() && !plan.ragged) {
    // Staging for samples that change layout on their way to the batch, grown now to the largest sample the
    // source can produce, so that the run allocates nothing.
    const std::size_t largest = a.source->largest_sample_bytes();
    staging_.resize(static_cast<std::size_t>(plan.settings.prefetch));
    for (auto& per_buffer : staging_) {
      faults.refuse_if_injected("host", largest, kind);
      per_buffer.resize(static_cast<std::size_t>(a.spec.batch_size));
      for (auto& sample : per_buffer) (void)sample.allocate(SampleLayout{{static_cast<std::int64_t>(largest)}, DType::u8});
      memory.add(largest * per_buffer.size());
    }
  }
  for (int i = 0; i < shape.pinned_slots; ++i) {
    faults.refuse_if_injected("pinned", batch, kind);
    pinned_.push_back(backend.allocate_pinned(batch, memory));
  }
  const std::size_t transformed =
      a.device_transform.active() ? static_cast<std::size_t>(a.spec.batch_size) * a.device_transform.out.bytes() : 0;
  faults.refuse_if_injected("device", batch, kind);
  backend.allocate_slots(shape.device_buffers, batch, static_cast<std::size_t>(a.spec.batch_size), transformed, memory);
  if (a.device_transform.decode) backend.prepare_decode(a.device_transform, a.spec.batch_size, memory);
  memory.add(stage.scratch_bytes(kind));
}

}  // namespace feedgraph::detail
