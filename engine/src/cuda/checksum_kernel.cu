// The batch checksum on the GPU: one pass over the batch, a sum of per-word terms reduced per warp and
// added with one 64-bit atomic per warp. Addition modulo 2^64 is what makes the order of blocks irrelevant.
#include <cuda_runtime.h>

#include "checksum/mix.hpp"
#include "feedgraph/device_checksum.hpp"
#include "feedgraph/errors.hpp"

namespace feedgraph {
namespace {

__device__ std::uint64_t load_word(const std::byte* data, std::uint64_t sample_bytes, std::uint64_t words_per_sample,
                                   std::uint64_t g, bool aligned) {
  if (aligned) return reinterpret_cast<const std::uint64_t*>(data)[g];
  const std::uint64_t j = g / words_per_sample, w = g % words_per_sample;
  const std::byte* p = data + j * sample_bytes + 8 * w;
  const std::uint64_t n = sample_bytes - 8 * w < 8 ? sample_bytes - 8 * w : 8;
  std::uint64_t word = 0;
  for (std::uint64_t i = 0; i < n; ++i) word |= static_cast<std::uint64_t>(p[i]) << (8 * i);
  return word;
}

__global__ void checksum_kernel(const std::byte* data, std::uint64_t sample_bytes, std::uint64_t words_per_sample,
                                std::uint64_t total_words, bool aligned, unsigned long long* out) {
  std::uint64_t sum = 0;
  const std::uint64_t stride = static_cast<std::uint64_t>(gridDim.x) * blockDim.x;
  for (std::uint64_t g = blockIdx.x * static_cast<std::uint64_t>(blockDim.x) + threadIdx.x; g < total_words; g += stride)
    sum += detail::checksum_term(load_word(data, sample_bytes, words_per_sample, g, aligned), g);
  for (int offset = 16; offset > 0; offset /= 2) sum += __shfl_down_sync(0xffffffffu, sum, offset);
  if ((threadIdx.x & 31) == 0) atomicAdd(out, static_cast<unsigned long long>(sum));
}

}  // namespace

void enqueue_device_checksum(const DeviceBatchView& batch, std::uint64_t* out, CUstream_st* stream) {
  const std::uint64_t sample_bytes = batch.layout.bytes();
  if (sample_bytes == 0 || batch.samples == 0) return;
  const std::uint64_t words_per_sample = (sample_bytes + 7) / 8;
  const std::uint64_t total = words_per_sample * static_cast<std::uint64_t>(batch.samples);
  const bool aligned = sample_bytes % 8 == 0 && reinterpret_cast<std::uintptr_t>(batch.data) % 8 == 0;
  // Enough blocks to fill any current GPU several times over; the grid-stride loop covers the rest.
  constexpr unsigned kThreads = 256;
  const std::uint64_t wanted = (total + kThreads - 1) / kThreads;
  const unsigned blocks = static_cast<unsigned>(wanted < 2048 ? wanted : 2048);
  checksum_kernel<<<blocks, kThreads, 0, stream>>>(batch.data, sample_bytes, words_per_sample, total, aligned,
                                                   reinterpret_cast<unsigned long long*>(out));
  const cudaError_t status = cudaGetLastError();
  if (status != cudaSuccess)
    throw CudaError("checksum_kernel<<<>>>", static_cast<int>(status), cudaGetErrorName(status),
                    cudaGetErrorString(status));
}

}  // namespace feedgraph
