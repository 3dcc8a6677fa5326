#include <cuda_runtime.h>

#include "compute/spin.hpp"
#include "feedgraph/errors.hpp"

namespace feedgraph::stages {
namespace {

__device__ std::uint64_t global_ns() {
  std::uint64_t t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}

// %globaltimer counts nanoseconds whatever the SM clock does, so the busy time holds under boost or
// throttling, unlike a clock64() loop.
__global__ void spin_kernel(std::uint64_t ns) {
  const std::uint64_t start = global_ns();
  while (global_ns() - start < ns) {
  }
}

}  // namespace

void enqueue_spin(std::uint64_t ns, CUstream_st* stream) {
  spin_kernel<<<1, 1, 0, stream>>>(ns);
  const cudaError_t status = cudaGetLastError();
  if (status != cudaSuccess)
    throw CudaError("spin_kernel<<<>>>", static_cast<int>(status), cudaGetErrorName(status), cudaGetErrorString(status));
}

}  // namespace feedgraph::stages
