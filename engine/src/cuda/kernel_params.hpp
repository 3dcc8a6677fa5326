#pragma once
// What the fused kernels (device_transform_kernel.cu, decoded_transform_kernel.cu) share: the element-wise
// part's per-channel constants, passed by value (no device allocation), the grid they stride over, and the
// check after a launch.
#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "backend/device_transform.hpp"
#include "feedgraph/errors.hpp"

namespace feedgraph::detail {

inline constexpr int kMaxChannels = 4;

/// out = (x * scale - mean[c]) * inv_std[c]; 0 and 1 where the transform has no normalize.
struct ChannelConstants {
  float scale;
  float mean[kMaxChannels], inv_std[kMaxChannels];
};

/// `t`'s constants; Error `too_many` when it has more channels than a kernel handles.
inline ChannelConstants channel_constants(const DeviceTransform& t, const char* too_many) {
  if (t.channels > kMaxChannels) throw Error(too_many);
  ChannelConstants k{};
  k.scale = t.scale;
  for (std::int64_t c = 0; c < t.channels; ++c) {
    k.mean[c] = t.mean.empty() ? 0.0f : t.mean[static_cast<std::size_t>(c)];
    k.inv_std[c] = t.inv_std.empty() ? 1.0f : t.inv_std[static_cast<std::size_t>(c)];
  }
  return k;
}

/// Blocks of `threads` for `items` grid-stride items, at most `cap` of them.
inline unsigned grid_blocks(std::int64_t items, unsigned threads, unsigned cap) {
  const std::int64_t wanted = (items + threads - 1) / threads;
  return static_cast<unsigned>(wanted < cap ? wanted : cap);
}

/// Throws CudaError naming `what` when the launch just made failed.
inline void check_launch(const char* what) {
  const cudaError_t status = cudaGetLastError();
  if (status != cudaSuccess) throw CudaError(what, static_cast<int>(status), cudaGetErrorName(status), cudaGetErrorString(status));
}

}  // namespace feedgraph::detail
