#pragma once
// `device_transforms`: the element-wise work that runs on the GPU after the copy, so the link carries the
// compact form (uint8 HWC images are a quarter of their float32 CHW bytes).
//
// The listed transforms (cast, to_chw, normalize) are fused into one pass: each output element is
//   out[c, h, w] (or [h, w, c] without to_chw) = (float(in[h, w, c]) * scale - mean[c]) * inv_std[c]
// so the device reads each transferred byte once and writes each output element once, whatever the list.
// The host backend runs the same arithmetic on its compute thread.
#include <cstdint>
#include <vector>

#include "feedgraph/spec.hpp"
#include "feedgraph/stage.hpp"

struct CUstream_st;

namespace feedgraph::detail {

struct DeviceTransform {
  SampleLayout in;   ///< what crossed the link
  SampleLayout out;  ///< what the compute stage sees
  bool to_chw = false;
  bool channels_last = true;  ///< the input's channel axis: last (HWC) or first (CHW)
  std::int64_t channels = 1, height = 1, width = 1;
  float scale = 1.0f;              ///< cast: {scale}
  std::vector<float> mean, inv_std;  ///< per channel (size `channels`)

  bool active() const { return !(in == out) || to_chw || !mean.empty(); }
};

/// Reads the `device_transforms` list against the layout that crosses the link; ConfigError on anything it
/// cannot do (an unknown name, a layout that is not HWC/CHW, a per-channel list of the wrong length).
DeviceTransform plan_device_transform(const std::vector<StageSpec>& specs, const SampleLayout& in);

/// The host backend's version: `samples` samples from `in` to `out`.
void apply_device_transform_host(const DeviceTransform& t, const std::byte* in, std::byte* out, std::int64_t samples);

/// The cuda version (device_transform_kernel.cu): enqueue only. Throws Error in a build without CUDA.
void enqueue_device_transform(const DeviceTransform& t, const std::byte* in, std::byte* out, std::int64_t samples,
                              CUstream_st* stream);

}  // namespace feedgraph::detail
