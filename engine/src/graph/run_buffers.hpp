#pragma once
// Every buffer a run's nodes write into, allocated once before the graph starts (steady state allocates
// nothing): the host buffers (one per prefetch token), the staging buffers of samples that change layout on
// their way to the batch, and the pinned slots. Device slots are the backend's. Each is reached by the token
// the graph hands out for it.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "backend/backend.hpp"
#include "feedgraph/pipeline.hpp"
#include "graph/assembly.hpp"
#include "graph/fault_plan.hpp"
#include "samples/sample_buffer.hpp"

namespace feedgraph::detail {

class RunBuffers {
 public:
  /// Allocates what `plan` says, counting it in `memory`, and the backend's device slots. A refused
  /// allocation throws Error naming the plan's host, pinned and device totals (or the CudaError the CUDA
  /// runtime answered); `faults` may refuse one on purpose.
  void allocate(const Assembly& a, const Plan& plan, ComputeStage& stage, Backend& backend, MemoryCounter& memory,
                const FaultPlan& faults);

  /// Host buffer `token`'s bytes: null where batches come straight from the cache.
  std::byte* host(int token) const { return host_[static_cast<std::size_t>(token)].get(); }
  /// Sample `k` of host buffer `token`, on its way to the batch.
  SampleBuffer& staged(int token, std::int64_t k) {
    return staging_[static_cast<std::size_t>(token)][static_cast<std::size_t>(k)];
  }
  std::byte* pinned(int slot) const { return pinned_[static_cast<std::size_t>(slot)].get(); }

 private:
  void allocate_all(const Assembly& a, const Plan& plan, ComputeStage& stage, Backend& backend, MemoryCounter& memory,
                    const FaultPlan& faults);

  std::vector<std::shared_ptr<std::byte>> host_;      // page-locked with transfer.direct
  std::vector<std::vector<SampleBuffer>> staging_;    // [host buffer][sample]
  std::vector<std::shared_ptr<std::byte>> pinned_;
};

}  // namespace feedgraph::detail
