// The fused device transform (device/device_transform.hpp) on the GPU: one thread per pixel, reading its
// channels once and writing each output channel to its plane (CHW) or in place order (HWC), so the writes of
// a warp are contiguous in every plane. Per-channel constants live in a by-value struct: no device allocation.
// The channels are a template argument, as in decoded_transform_kernel.cu: indexed with a run-time channel, the
// constants put the parameters on the stack (64 bytes of local memory a thread).
#include <cuda_runtime.h>

#include "cuda/kernel_params.hpp"

namespace feedgraph::detail {
namespace {

struct Params {
  std::int64_t plane, pixels;  // pixels = samples * plane
  bool in_u8, in_channels_last, out_chw, out_f32;
  ChannelConstants k;
};

template <int C>
__global__ void device_transform_kernel(const unsigned char* in, unsigned char* out, Params p) {
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t g = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; g < p.pixels; g += stride) {
    const std::int64_t s = g / p.plane, px = g % p.plane;
    const std::int64_t base = s * p.plane * C;
#pragma unroll
    for (int c = 0; c < C; ++c) {
      const std::int64_t i = base + (p.in_channels_last ? px * C + c : c * p.plane + px);
      const std::int64_t o = base + (p.out_chw ? c * p.plane + px : px * C + c);
      if (!p.out_f32) {
        out[o] = in[i];
        continue;
      }
      const float v = p.in_u8 ? static_cast<float>(in[i]) : reinterpret_cast<const float*>(in)[i];
      reinterpret_cast<float*>(out)[o] = (v * p.k.scale - p.k.mean[c]) * p.k.inv_std[c];
    }
  }
}

}  // namespace

void enqueue_device_transform(const DeviceTransform& t, const std::byte* in, std::byte* out, std::int64_t samples,
                              CUstream_st* stream) {
  if (samples == 0 || t.channels == 0) return;  // nothing to write
  Params p{};
  p.k = channel_constants(t, "device transforms handle up to 4 channels");
  p.plane = t.height * t.width;
  p.pixels = samples * p.plane;
  p.in_u8 = t.in.dtype == DType::u8;
  p.in_channels_last = t.channels_last;
  p.out_chw = t.to_chw || !t.channels_last;
  p.out_f32 = t.out.dtype == DType::f32;
  constexpr unsigned kThreads = 256;
  const unsigned blocks = grid_blocks(p.pixels, kThreads, 8192);
  const auto* src = reinterpret_cast<const unsigned char*>(in);
  auto* dst = reinterpret_cast<unsigned char*>(out);
  switch (t.channels) {  // 1-4: channel_constants has thrown for more
    case 1: device_transform_kernel<1><<<blocks, kThreads, 0, stream>>>(src, dst, p); break;
    case 2: device_transform_kernel<2><<<blocks, kThreads, 0, stream>>>(src, dst, p); break;
    case 3: device_transform_kernel<3><<<blocks, kThreads, 0, stream>>>(src, dst, p); break;
    default: device_transform_kernel<4><<<blocks, kThreads, 0, stream>>>(src, dst, p); break;
  }
  check_launch("device_transform_kernel<<<>>>");
}

}  // namespace feedgraph::detail
