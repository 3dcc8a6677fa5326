#pragma once
// The device half of `kernel: spin`, kept in a .cu file of its own (fmt and friends stay out of nvcc).
#include <cstdint>

struct CUstream_st;

namespace feedgraph::stages {
/// Enqueue a one-thread kernel that holds the stream for `ns` nanoseconds of the GPU's global timer.
void enqueue_spin(std::uint64_t ns, CUstream_st* stream);
}  // namespace feedgraph::stages
