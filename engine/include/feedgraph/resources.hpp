#pragma once
// What the engine holds right now, across the process: the counters behind "a run, successful or failed,
// leaves nothing behind". Every thread the engine starts, every page-locked and device allocation
// and every CUDA stream and event is counted when made and when let go.
//
//   feedgraph::run(spec);                        // or a Pipeline that went out of scope
//   auto live = feedgraph::live_resources();
//   assert(live.threads == 0 && live.pinned_allocations == 0 && live.device_allocations == 0);
//
// oneTBB's worker threads are not the engine's: oneTBB keeps them for the process and reuses them.
#include <cstdint>
#include <string>

namespace feedgraph {

struct LiveResources {
  std::int64_t runs = 0;                ///< runs being set up, running, or being torn down
  std::int64_t threads = 0;             ///< started and not yet joined: watchdog, progress, stand-in streams, pulling runs
  std::int64_t pinned_allocations = 0;  ///< page-locked host memory (cudaHostAlloc; the host stand-in's equivalent)
  std::int64_t device_allocations = 0;  ///< device memory (cudaMalloc; the host stand-in's slot memory)
  std::int64_t cuda_handles = 0;        ///< CUDA streams and events

  bool none() const { return runs == 0 && threads == 0 && pinned_allocations == 0 && device_allocations == 0 && cuda_handles == 0; }
  /// "runs 0, threads 0, pinned 0, device 0, cuda handles 0". Throws nothing.
  std::string text() const;
};

/// How many times this process has assembled a pipeline (chosen its device, built its stages, listed its
/// files, made its sample order): once per Pipeline built, however often it runs or is planned.
std::int64_t assemblies_built() noexcept;

/// A snapshot of the counters (each read atomically; together exact whenever no run is in progress).
LiveResources live_resources() noexcept;

}  // namespace feedgraph
