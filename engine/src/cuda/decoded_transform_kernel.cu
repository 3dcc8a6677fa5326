// After decode on the GPU: the fused pass (resample through each image's PixelMap, round to uint8, then the
// element-wise part) and the checksum of a ragged batch. The pass is apply_decoded_host's arithmetic, the same
// float operations in the same order with rounding intrinsics (no contraction into FMA), so the host
// reference and the GPU agree bit for bit.
#include <cuda_runtime.h>

#include "checksum/mix.hpp"
#include "cuda/kernel_params.hpp"

namespace feedgraph::detail {
namespace {

struct Params {
  std::int64_t channels;
  unsigned width, plane;  // of the output; a plane's pixels fit 32-bit indices (checked at launch)
  std::size_t out_bytes;  // per sample
  bool out_chw, out_f32;
  ChannelConstants k;
};

struct Tap {
  std::int64_t first, second;
  float weight;
};

__device__ Tap tap(const ResampleAxis& a, std::int64_t d) {
  const float scale = __fdiv_rn(static_cast<float>(a.in_size), static_cast<float>(a.out_full));
  const float s = fmaxf(0.0f, __fsub_rn(__fmul_rn(__fadd_rn(static_cast<float>(d + a.out_offset), 0.5f), scale), 0.5f));
  auto i = static_cast<std::int64_t>(s);
  float frac = __fsub_rn(s, static_cast<float>(i));
  if (i >= a.in_size - 1) i = a.in_size - 1, frac = 0;
  const std::int64_t j = i + 1 < a.in_size - 1 ? i + 1 : a.in_size - 1;
  return {a.in_start + i, a.in_start + j, frac};
}

__device__ float lerp(float a, float b, float w) { return __fadd_rn(a, __fmul_rn(__fsub_rn(b, a), w)); }

/// blockIdx.y picks the sample (in turns of gridDim.y); the block's threads stride over its output pixels. The
/// indices within a plane are 32-bit: a 64-bit division is a long software routine on the GPU, and one per
/// pixel cost more than the resampling.
__global__ void decoded_transform_kernel(const DecodedImage* images, std::int64_t count, unsigned char* out, Params p) {
  for (std::int64_t k = blockIdx.y; k < count; k += gridDim.y) {
    const DecodedImage im = images[k];
    unsigned char* dst = out + static_cast<std::size_t>(k) * p.out_bytes;
    for (unsigned px = blockIdx.x * blockDim.x + threadIdx.x; px < p.plane; px += gridDim.x * blockDim.x) {
      const unsigned y = px / p.width, x = px - y * p.width;
      const Tap ty = tap(im.map.y, y);
      const Tap tx = tap(im.map.x, im.map.flip ? p.width - 1 - x : x);
      for (int c = 0; c < p.channels; ++c) {
        auto at = [&](std::int64_t row, std::int64_t col) {
          return static_cast<float>(im.pixels[(row * im.width + col) * p.channels + c]);
        };
        const float top = lerp(at(ty.first, tx.first), at(ty.first, tx.second), tx.weight);
        const float bottom = lerp(at(ty.second, tx.first), at(ty.second, tx.second), tx.weight);
        const float v = rintf(fminf(fmaxf(lerp(top, bottom, ty.weight), 0.0f), 255.0f));
        const std::size_t o = p.out_chw ? static_cast<std::size_t>(c) * p.plane + px : std::size_t{px} * p.channels + c;
        if (!p.out_f32) {
          dst[o] = static_cast<unsigned char>(v);
          continue;
        }
        reinterpret_cast<float*>(dst)[o] = __fmul_rn(__fsub_rn(__fmul_rn(v, p.k.scale), p.k.mean[c]), p.k.inv_std[c]);
      }
    }
  }
}

/// blockIdx.y picks the sample (in turns of gridDim.y); the block's threads stride over its words.
__global__ void ragged_checksum_kernel(const std::byte* data, const EncodedSample* samples, std::int64_t count,
                                       unsigned long long* out) {
  std::uint64_t sum = 0;
  for (std::int64_t k = blockIdx.y; k < count; k += gridDim.y) {
    const EncodedSample s = samples[k];
    const std::uint64_t words = (s.bytes + 7) / 8, full = s.bytes / 8, first = s.offset / 8;
    const auto* aligned = reinterpret_cast<const std::uint64_t*>(data + s.offset);  // offsets are multiples of 8
    for (std::uint64_t w = blockIdx.x * static_cast<std::uint64_t>(blockDim.x) + threadIdx.x; w < words;
         w += static_cast<std::uint64_t>(gridDim.x) * blockDim.x) {
      std::uint64_t word = 0;
      if (w < full) {
        word = aligned[w];
      } else {
        const std::byte* p = data + s.offset + 8 * w;
        for (std::uint64_t i = 0; i < s.bytes - 8 * w; ++i) word |= static_cast<std::uint64_t>(p[i]) << (8 * i);
      }
      sum += checksum_term(word, first + w);
    }
  }
  for (int offset = 16; offset > 0; offset /= 2) sum += __shfl_down_sync(0xffffffffu, sum, offset);
  if ((threadIdx.x & 31) == 0) atomicAdd(out, static_cast<unsigned long long>(sum));
}

}  // namespace

void enqueue_decoded_transform(const DeviceTransform& t, const DecodedImage* images, std::int64_t count, std::byte* out,
                               CUstream_st* stream) {
  if (count == 0) return;
  if (t.height * t.width * t.channels > std::int64_t{0xFFFFFFFF})
    throw Error("decode on the device: an output image of over 4 G values");
  Params p{};
  p.k = channel_constants(t, "decode on the device handles up to 4 channels");
  p.channels = t.channels;
  p.width = static_cast<unsigned>(t.width);
  p.plane = static_cast<unsigned>(t.height * t.width);
  p.out_bytes = t.out.bytes();
  p.out_chw = t.to_chw;
  p.out_f32 = t.out.dtype == DType::f32;
  constexpr unsigned kThreads = 256;
  const dim3 grid(grid_blocks(p.plane, kThreads, 1024), static_cast<unsigned>(count < 65535 ? count : 65535));
  decoded_transform_kernel<<<grid, kThreads, 0, stream>>>(images, count, reinterpret_cast<unsigned char*>(out), p);
  check_launch("decoded_transform_kernel<<<>>>");
}

void enqueue_ragged_checksum(const std::byte* data, const EncodedSample* samples, std::int64_t count, std::uint64_t* out,
                             CUstream_st* stream) {
  if (count == 0) return;
  constexpr unsigned kThreads = 256;
  const dim3 grid(8, static_cast<unsigned>(count < 4096 ? count : 4096));
  ragged_checksum_kernel<<<grid, kThreads, 0, stream>>>(data, samples, count, reinterpret_cast<unsigned long long*>(out));
  check_launch("ragged_checksum_kernel<<<>>>");
}

}  // namespace feedgraph::detail
