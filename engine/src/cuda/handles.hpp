#pragma once
// Small move-only owners of CUDA handles (CCCL style). Destructors never throw: a failure while releasing
// is reported and the program goes on, since the run's own error (if any) is the one worth rethrowing.
// Each live handle is counted (feedgraph::live_resources()), which is how the tests show nothing leaks.
#include <cuda_runtime_api.h>

#include <cstddef>
#include <utility>

#include "cuda/check.hpp"
#include "backend/live_counts.hpp"

namespace feedgraph::detail {

template <class T, class Deleter>
class Handle {
 public:
  Handle() = default;
  explicit Handle(T h) : h_(h) {
    if (h_) count_up(Deleter::counted);
  }
  Handle(Handle&& o) noexcept : h_(std::exchange(o.h_, T{})) {}
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      reset();
      h_ = std::exchange(o.h_, T{});
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { reset(); }
  T get() const noexcept { return h_; }
  void reset() noexcept {
    if (h_) {
      Deleter{}(h_);
      count_down(Deleter::counted);
    }
    h_ = T{};
  }

 private:
  T h_{};
};

struct StreamDeleter {
  static constexpr Counted counted = Counted::cuda_handle;
  void operator()(cudaStream_t s) const noexcept { FG_CUDA_NOTHROW(cudaStreamDestroy(s)); }
};
struct EventDeleter {
  static constexpr Counted counted = Counted::cuda_handle;
  void operator()(cudaEvent_t e) const noexcept { FG_CUDA_NOTHROW(cudaEventDestroy(e)); }
};
struct PinnedDeleter {
  static constexpr Counted counted = Counted::pinned;
  void operator()(void* p) const noexcept { FG_CUDA_NOTHROW(cudaFreeHost(p)); }
};
struct DeviceDeleter {
  static constexpr Counted counted = Counted::device;
  void operator()(void* p) const noexcept { FG_CUDA_NOTHROW(cudaFree(p)); }
};

using Stream = Handle<cudaStream_t, StreamDeleter>;
using Event = Handle<cudaEvent_t, EventDeleter>;
using PinnedBuffer = Handle<void*, PinnedDeleter>;
using DeviceBuffer = Handle<void*, DeviceDeleter>;

/// A stream that does not synchronize with the legacy default stream, so that nothing outside the run
/// (another library's default-stream work) serializes with it.
inline Stream make_stream() {
  cudaStream_t s{};
  FG_CUDA(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  return Stream(s);
}
/// Events keep timing: the report's copy and compute times come from them.
inline Event make_event() {
  cudaEvent_t e{};
  FG_CUDA(cudaEventCreate(&e));
  return Event(e);
}
/// An event only waited on, never timed: cheaper to record and to wait for.
inline Event make_event_untimed() {
  cudaEvent_t e{};
  FG_CUDA(cudaEventCreateWithFlags(&e, cudaEventDisableTiming));
  return Event(e);
}
inline PinnedBuffer make_pinned(std::size_t bytes) {
  void* p = nullptr;
  FG_CUDA(cudaHostAlloc(&p, bytes, cudaHostAllocDefault));
  return PinnedBuffer(p);
}
inline DeviceBuffer make_device(std::size_t bytes) {
  void* p = nullptr;
  FG_CUDA(cudaMalloc(&p, bytes));
  return DeviceBuffer(p);
}

}  // namespace feedgraph::detail
