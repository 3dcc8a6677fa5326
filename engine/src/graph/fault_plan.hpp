#pragma once
// `faults:` (PipelineSpec::faults): the failures a run injects on purpose, looked up by node and batch. Each
// one goes through the path the real failure would take (a throwing body, a trap on the compute stream, a
// refused allocation, a vanished file through the source's DataError and `on_error`), so a test of a fault
// is a test of the engine's handling of the real thing.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "feedgraph/spec.hpp"
#include "feedgraph/stage.hpp"

namespace feedgraph::detail {

class FaultPlan {
 public:
  explicit FaultPlan(const std::vector<FaultSpec>& faults) : faults_(faults) {}

  /// A `throw` (throws) or `stall` (waits: for its seconds, or until `failed` when it has none) aimed at
  /// `node` ("read", ...) and `ticket`.
  void strike(const char* node, std::int64_t ticket, const std::atomic<bool>& failed) const;

  /// What to queue on the compute stream ahead of batch `ticket`: a trap, and extra time (slow_consumer).
  struct DeviceFault {
    bool trap = false;
    double delay_s = 0;
    bool any() const { return trap || delay_s > 0; }
  };
  DeviceFault on_device(std::int64_t ticket) const;

  /// `refuse_alloc` for `memory` (host | pinned | device): throws what a refused allocation of `bytes`
  /// throws on `backend` (CudaError from the CUDA runtime, std::bad_alloc on the host).
  void refuse_if_injected(const char* memory, std::size_t bytes, BackendKind backend) const;

  /// `vanish`: from its batch on, every sample's file is gone.
  bool vanished(std::int64_t ticket) const;

 private:
  const std::vector<FaultSpec>& faults_;
};

}  // namespace feedgraph::detail
