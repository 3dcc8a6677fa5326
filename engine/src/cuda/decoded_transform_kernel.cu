// After decode on the GPU: the fused pass (resample through each image's PixelMap, round to uint8, then the
// element-wise part) and the checksum of a ragged batch. The pass is apply_decoded_host's arithmetic, the same
// float operations in the same order with rounding intrinsics (no contraction into FMA), so the host
// reference and the GPU agree bit for bit.
#include <cuda_runtime.h>

#include <algorithm>

#include "checksum/mix.hpp"
#include "cuda/kernel_params.hpp"

namespace feedgraph::detail {
namespace {

struct Params {
  unsigned height, width, plane;  // of the output; a plane's values fit 32-bit indices (checked at launch)
  std::size_t out_bytes;          // per sample
  bool out_chw, out_f32;
  ChannelConstants k;
};

/// Output rows a block takes: each thread's column tap (and its image's record) serves them all.
constexpr unsigned kRowsPerBlock = 8;

/// One axis of an image's PixelMap with its scale divided out once. 32-bit: a JPEG's sides are under 2^16, so
/// every coordinate fits, and an int converts to the same float as the host's int64 of equal value. The
/// division is the one the host makes for each pixel, so computing it once gives the same float.
struct Axis {
  int in_start, in_size, out_offset;
  float scale;
};

__device__ Axis axis_of(const ResampleAxis& a) {
  const int in_size = static_cast<int>(a.in_size);
  return {static_cast<int>(a.in_start), in_size, static_cast<int>(a.out_offset),
          __fdiv_rn(static_cast<float>(in_size), static_cast<float>(static_cast<int>(a.out_full)))};
}

/// A row or column of the decoded image and the weight of the second.
struct Tap {
  int first, second;
  float weight;
};

__device__ Tap tap(const Axis& a, int d) {
  const float s = fmaxf(0.0f, __fsub_rn(__fmul_rn(__fadd_rn(static_cast<float>(d + a.out_offset), 0.5f), a.scale), 0.5f));
  int i = static_cast<int>(s);  // s >= 0: truncation, as the host's cast
  float frac = __fsub_rn(s, static_cast<float>(i));
  if (i >= a.in_size - 1) i = a.in_size - 1, frac = 0;
  const int j = i + 1 < a.in_size - 1 ? i + 1 : a.in_size - 1;
  return {a.in_start + i, a.in_start + j, frac};
}

__device__ float lerp(float a, float b, float w) { return __fadd_rn(a, __fmul_rn(__fsub_rn(b, a), w)); }

/// kRowsPerBlock output rows a block: blockIdx.x is the group of rows, blockIdx.y the sample (in turns of
/// gridDim.y), the threads stride over the columns. A thread reads its image's record and computes its
/// column's tap once for all the block's rows, and a warp writes each channel's consecutive floats. `C`, the
/// channels, is a template argument so that the per-channel constants are indexed at compile time: indexed at
/// run time, they put the parameters on the stack (64 bytes of local memory a thread). On the H100, a batch of
/// 256 224x224 images took 284 us so, 170 us with a row a block, and 94-99 us like this (bench/RESULTS.md,
/// sessions 19 and 20).
template <int C>
__global__ void decoded_transform_kernel(const DecodedImage* images, std::int64_t count, unsigned char* out, Params p) {
  const unsigned y0 = blockIdx.x * kRowsPerBlock, y1 = min(y0 + kRowsPerBlock, p.height);
  for (std::int64_t k = blockIdx.y; k < count; k += gridDim.y) {
    // Copied into registers: `dst` is bytes, which may alias the record, so a reference would be read again
    // after every store.
    const std::uint8_t* const pixels = images[k].pixels;
    const std::size_t stride = static_cast<std::size_t>(images[k].width) * C;
    const Axis ay = axis_of(images[k].map.y), ax = axis_of(images[k].map.x);
    const bool flip = images[k].map.flip;
    unsigned char* dst = out + static_cast<std::size_t>(k) * p.out_bytes;
    for (unsigned x = threadIdx.x; x < p.width; x += blockDim.x) {
      const Tap tx = tap(ax, static_cast<int>(flip ? p.width - 1 - x : x));
      const unsigned a = static_cast<unsigned>(tx.first) * C, b = static_cast<unsigned>(tx.second) * C;
      for (unsigned y = y0; y < y1; ++y) {
        const Tap ty = tap(ay, static_cast<int>(y));
        const std::uint8_t* top_row = pixels + static_cast<std::size_t>(ty.first) * stride;
        const std::uint8_t* bottom_row = pixels + static_cast<std::size_t>(ty.second) * stride;
        const unsigned px = y * p.width + x;
#pragma unroll
        for (int c = 0; c < C; ++c) {
          const float top = lerp(static_cast<float>(top_row[a + c]), static_cast<float>(top_row[b + c]), tx.weight);
          const float bottom = lerp(static_cast<float>(bottom_row[a + c]), static_cast<float>(bottom_row[b + c]), tx.weight);
          const float v = rintf(fminf(fmaxf(lerp(top, bottom, ty.weight), 0.0f), 255.0f));
          const unsigned o = p.out_chw ? c * p.plane + px : px * C + c;
          if (!p.out_f32) {
            dst[o] = static_cast<unsigned char>(v);
            continue;
          }
          reinterpret_cast<float*>(dst)[o] = __fmul_rn(__fsub_rn(__fmul_rn(v, p.k.scale), p.k.mean[c]), p.k.inv_std[c]);
        }
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
  if (t.channels != 1 && t.channels != 3) throw Error("decode on the device writes 1 or 3 channels");
  Params p{};
  p.k = channel_constants(t, "decode on the device handles up to 4 channels");
  p.height = static_cast<unsigned>(t.height);
  p.width = static_cast<unsigned>(t.width);
  p.plane = static_cast<unsigned>(t.height * t.width);
  p.out_bytes = t.out.bytes();
  p.out_chw = t.to_chw;
  p.out_f32 = t.out.dtype == DType::f32;
  // A warp's multiple covering the row (224 columns: 7 warps), at most 256 threads striding over wider rows.
  const unsigned threads = static_cast<unsigned>(std::min<std::int64_t>(256, (t.width + 31) / 32 * 32));
  const dim3 grid(static_cast<unsigned>((t.height + kRowsPerBlock - 1) / kRowsPerBlock),
                  static_cast<unsigned>(count < 65535 ? count : 65535));
  if (t.channels == 3)
    decoded_transform_kernel<3><<<grid, threads, 0, stream>>>(images, count, reinterpret_cast<unsigned char*>(out), p);
  else
    decoded_transform_kernel<1><<<grid, threads, 0, stream>>>(images, count, reinterpret_cast<unsigned char*>(out), p);
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
