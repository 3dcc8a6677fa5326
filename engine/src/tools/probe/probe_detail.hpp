#pragma once
// The pieces probe() combines: host figures (host_probe.cpp) and CUDA figures (cuda/cuda_probe.cpp, or the
// throwing fallbacks in host_probe.cpp when the build has no CUDA).
#include <cstddef>
#include <string>
#include <vector>

#include "feedgraph/tools/probe.hpp"

namespace feedgraph::detail {

/// Host copies use buffers at least this large, so that no cache level holds them.
inline constexpr std::size_t memcpy_probe_bytes = std::size_t{256} << 20;

/// The median of `samples` (not empty); the middle two averaged for an even count.
double median(std::vector<double> samples);

/// Page-touched pageable memory: malloc alone would leave the pages unmapped, and the first copy would
/// then time page faults instead of the copy.
struct PageableBuffer {
  explicit PageableBuffer(std::size_t bytes);
  ~PageableBuffer();
  PageableBuffer(const PageableBuffer&) = delete;
  PageableBuffer& operator=(const PageableBuffer&) = delete;
  std::byte* data() const noexcept { return data_; }

 private:
  std::byte* data_ = nullptr;
};

/// GB/s of copying `bytes` from `src` to `dst`, split evenly across `threads` threads: one warm-up copy,
/// then the median of `repeats` timed copies.
double memcpy_gbps(std::byte* dst, const std::byte* src, std::size_t bytes, unsigned threads, int repeats);

struct HostRates {
  int cores = 0;
  std::size_t bytes = 0;
  double one_thread_gbps = 0;
  double all_cores_gbps = 0;
};
HostRates probe_host(int repeats);

struct CudaRates {
  std::string device_name;
  std::string pcie;
  int copy_engines = 0;
  std::vector<LinkRate> link;
  double pinned_memcpy_one_thread_gbps = 0;
};
/// The link table at `sizes` and the host → pinned memcpy rate on CUDA device `device_index`.
/// Throws Error in a build without CUDA.
CudaRates probe_cuda(int device_index, const std::vector<std::size_t>& sizes, int repeats);

}  // namespace feedgraph::detail
