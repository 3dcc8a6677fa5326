// The kernels behind `faults:` on cuda: a trap (the device fault a pipeline must report, never hang on) and
// a wait (a slow consumer: the compute stream busy for a set time).
#include <cuda_runtime.h>

#include "cuda/fault_kernels.hpp"

namespace feedgraph::detail {
namespace {

__global__ void trap_kernel() { __trap(); }

__device__ unsigned long long global_ns() {
  unsigned long long t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}

__global__ void wait_kernel(unsigned long long ns) {
  // The global timer runs in nanoseconds whatever the clocks do; __nanosleep keeps the SM's issue slots free.
  const unsigned long long start = global_ns();
  while (global_ns() - start < ns) __nanosleep(10000);
}

}  // namespace

void enqueue_trap(cudaStream_t stream) { trap_kernel<<<1, 1, 0, stream>>>(); }

void enqueue_wait(cudaStream_t stream, double seconds) {
  wait_kernel<<<1, 1, 0, stream>>>(static_cast<unsigned long long>(seconds * 1e9));
}

}  // namespace feedgraph::detail
