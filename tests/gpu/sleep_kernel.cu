// A kernel that only waits: slow consumer work queued on a loop's stream, for the tests that prove a buffer
// is not reused before the work queued before its release has run.
#include <cuda_runtime.h>

namespace fgtest {
namespace {
__global__ void sleep_kernel(unsigned long long ns) {
  const unsigned long long start = clock64();
  // __nanosleep caps each call near a millisecond; loop on the cycle counter against a generous clock.
  while ((clock64() - start) < ns * 2) __nanosleep(1000);
}
}  // namespace

void enqueue_sleep(cudaStream_t stream, unsigned long long ns) { sleep_kernel<<<1, 1, 0, stream>>>(ns); }
}  // namespace fgtest
