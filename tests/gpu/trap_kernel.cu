// A kernel that traps: the GPU fault a pipeline must report rather than hang on.
#include <cuda_runtime.h>

namespace fgtest {
namespace {
__global__ void trap_kernel() { __trap(); }
}  // namespace

void enqueue_trap(cudaStream_t stream) { trap_kernel<<<1, 1, 0, stream>>>(); }
}  // namespace fgtest
