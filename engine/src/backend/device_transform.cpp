#include "backend/device_transform.hpp"

#include <cstring>

#include "feedgraph/errors.hpp"

namespace feedgraph::detail {
namespace {

// The channel axis of a rank-3 image layout: HWC when the last dimension looks like channels (≤ 4), else CHW.
bool channels_last_of(const SampleLayout& l) { return l.shape.size() == 3 && l.shape[2] <= 4; }

std::vector<float> per_channel(const StageOptions& o, const char* key, double fallback, std::int64_t channels,
                               Range range = {}) {
  const std::vector<double> values = o.numbers(key, {fallback}, range);
  if (values.size() != 1 && static_cast<std::int64_t>(values.size()) != channels) {
    o.fail(key, "expected one value or one per channel (" + std::to_string(channels) + "), got " +
                    std::to_string(values.size()));
  }
  std::vector<float> out(static_cast<std::size_t>(channels));
  for (std::size_t c = 0; c < out.size(); ++c) out[c] = static_cast<float>(values.size() == 1 ? values[0] : values[c]);
  return out;
}

}  // namespace

DeviceTransform plan_device_transform(const std::vector<StageSpec>& specs, const SampleLayout& in) {
  DeviceTransform t;
  t.in = in;
  t.out = in;
  if (specs.empty()) return t;
  const StageOptions& first = specs.front().options;
  if (in.shape.size() != 3)
    first.fail("", "device transforms work on images (HWC or CHW, rank 3); the batch holds " + in.describe());
  if (in.dtype != DType::u8 && in.dtype != DType::f32)
    first.fail("", "device transforms read uint8 or float32; the batch holds " + in.describe());
  t.channels_last = channels_last_of(in);
  t.height = in.shape[t.channels_last ? 0 : 1];
  t.width = in.shape[t.channels_last ? 1 : 2];
  t.channels = in.shape[t.channels_last ? 2 : 0];
  for (const StageSpec& s : specs) {
    const StageOptions& o = s.options;
    if (s.name == "to_chw") {
      if (t.to_chw || !t.channels_last) o.fail("", "the batch is already CHW (" + t.out.describe() + ")");
      t.to_chw = true;
    } else if (s.name == "cast") {
      const std::string dtype = o.choice("dtype", "float32", {"float32"});
      t.scale = static_cast<float>(o.number("scale", 1.0, {.greater_than = 0.0}));
      t.out.dtype = DType::f32;
    } else if (s.name == "normalize") {
      t.mean = per_channel(o, "mean", 0.0, t.channels);
      t.inv_std = per_channel(o, "std", 1.0, t.channels, {.greater_than = 0.0});
      for (float& v : t.inv_std) v = 1.0f / v;
      t.out.dtype = DType::f32;
    } else {
      o.fail("", "unknown device transform '" + s.name + "': the device runs cast, to_chw and normalize");
    }
    o.reject_unknown();
  }
  if (t.mean.empty() && t.out.dtype == DType::f32) {
    t.mean.assign(static_cast<std::size_t>(t.channels), 0.0f);
    t.inv_std.assign(static_cast<std::size_t>(t.channels), 1.0f);
  }
  if (t.to_chw) t.out.shape = {t.channels, t.height, t.width};
  return t;
}

void apply_device_transform_host(const DeviceTransform& t, const std::byte* in, std::byte* out,
                                 std::int64_t samples) {
  const std::int64_t C = t.channels, H = t.height, W = t.width, plane = H * W;
  const std::size_t in_sample = t.in.bytes();
  const std::size_t out_sample = t.out.bytes();
  const bool f32_out = t.out.dtype == DType::f32;
  for (std::int64_t s = 0; s < samples; ++s) {
    const std::byte* src = in + static_cast<std::size_t>(s) * in_sample;
    std::byte* dst = out + static_cast<std::size_t>(s) * out_sample;
    for (std::int64_t p = 0; p < plane; ++p) {
      for (std::int64_t c = 0; c < C; ++c) {
        const std::int64_t i = t.channels_last ? p * C + c : c * plane + p;
        const std::int64_t o = t.to_chw || !t.channels_last ? c * plane + p : p * C + c;
        if (!f32_out) {  // uint8 → uint8: only a permutation
          dst[o] = src[i];
          continue;
        }
        float v;
        if (t.in.dtype == DType::u8) {
          v = static_cast<float>(static_cast<std::uint8_t>(src[i]));
        } else {
          std::memcpy(&v, src + 4 * i, 4);
        }
        v = (v * t.scale - t.mean[static_cast<std::size_t>(c)]) * t.inv_std[static_cast<std::size_t>(c)];
        std::memcpy(dst + 4 * o, &v, 4);
      }
    }
  }
}

#if !FEEDGRAPH_HAVE_CUDA
void enqueue_device_transform(const DeviceTransform&, const std::byte*, std::byte*, std::int64_t, CUstream_st*) {
  throw Error("device transforms on cuda need a build with CUDA");
}
#endif

}  // namespace feedgraph::detail
