#pragma once
// The per-word term of the batch checksum, shared by the host code and the CUDA kernel so that the two can
// never drift apart.
#include <cstdint>

#if defined(__CUDACC__)
#define FG_HOST_DEVICE __host__ __device__ __forceinline__
#else
#define FG_HOST_DEVICE inline
#endif

namespace feedgraph::detail {

FG_HOST_DEVICE std::uint64_t checksum_term(std::uint64_t word, std::uint64_t global_index) {
  std::uint64_t z = word ^ (global_index * 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;  // splitmix64's finalizer
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace feedgraph::detail
