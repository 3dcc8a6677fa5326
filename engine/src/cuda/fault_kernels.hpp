#pragma once
// Kernels for `faults:` (fault_kernels.cu).
#include <cuda_runtime_api.h>

namespace feedgraph::detail {

/// A kernel that executes `__trap()`: the stream, and the context, report cudaErrorLaunchFailure from then on.
void enqueue_trap(cudaStream_t stream);
/// A kernel that keeps `stream` busy for `seconds`.
void enqueue_wait(cudaStream_t stream, double seconds);

}  // namespace feedgraph::detail
