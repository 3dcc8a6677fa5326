#include "backend/device_transform.hpp"

#include <algorithm>
#include <cmath>
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
    } else if (s.name == "decode_jpeg") {
      o.fail("", "decode_jpeg comes first in device_transforms: the files cross the link encoded and are decoded "
                 "before anything else runs on them");
    } else if (is_device_geometry(s.name)) {
      o.fail("", s.name + " runs on the device only right after decode_jpeg (device_transforms: [decode_jpeg, " +
                     s.name + ", ...]); after cast, to_chw or normalize, or without decode_jpeg, it belongs in "
                     "transforms");
    } else {
      o.fail("", "unknown device transform '" + s.name + "': the device runs decode_jpeg (first), then "
                 "center_crop, random_resized_crop, resize, random_flip, then cast, to_chw and normalize");
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

bool is_device_geometry(const std::string& name) {
  return name == "center_crop" || name == "random_resized_crop" || name == "resize" || name == "random_flip";
}

PixelMap compose_pixel_map(const DeviceDecode& d, std::int64_t height, std::int64_t width, const SampleContext& ctx) {
  PixelMap m{ResampleAxis::whole(height, height), ResampleAxis::whole(width, width), false};
  std::int64_t h = height, w = width;  // the image each transform receives
  for (const Transform* t : d.geometry) {
    const std::optional<PixelMap> next = t->pixel_map(h, w, ctx);
    if (!next) throw Error("a device geometry transform gave no pixel map");
    if (!(next->y.identity() && next->x.identity())) {
      if (!(m.y.identity() && m.x.identity()))
        throw Error("two resampling transforms after decode_jpeg on the device");  // refused when planned
      PixelMap r = *next;
      if (m.flip) {
        // Resampling a mirrored image is resampling the mirrored window, then mirroring.
        r.x.in_start = m.x.in_size - r.x.in_start - r.x.in_size;
        r.x.out_offset = r.x.out_full - r.x.out_offset - r.x.out_size;
        r.flip = !r.flip;
      }
      m = r;
    } else {
      m.flip = m.flip != next->flip;
    }
    h = m.y.out_size;
    w = m.x.out_size;
  }
  return m;
}

namespace {

/// One axis of the bilinear resample, as image_ops' taps: the two input pixels output pixel `d` blends and
/// the second one's weight (half-pixel centres, clamped to the region).
struct Tap {
  std::int64_t first, second;
  float weight;
};
Tap tap(const ResampleAxis& a, std::int64_t d) {
  const float scale = static_cast<float>(a.in_size) / static_cast<float>(a.out_full);
  const float s = std::max(0.0f, (static_cast<float>(d + a.out_offset) + 0.5f) * scale - 0.5f);
  auto i = static_cast<std::int64_t>(s);
  float frac = s - static_cast<float>(i);
  if (i >= a.in_size - 1) i = a.in_size - 1, frac = 0;
  const std::int64_t j = std::min(i + 1, a.in_size - 1);
  return {a.in_start + i, a.in_start + j, frac};
}

}  // namespace

void apply_decoded_host(const DeviceTransform& t, const std::uint8_t* decoded, std::int64_t /*height*/,
                        std::int64_t width, const PixelMap& map, std::byte* out) {
  const std::int64_t C = t.channels, H = t.height, W = t.width, plane = H * W;
  const bool f32_out = t.out.dtype == DType::f32;
  for (std::int64_t y = 0; y < H; ++y) {
    const Tap ty = tap(map.y, y);
    for (std::int64_t x = 0; x < W; ++x) {
      const Tap tx = tap(map.x, map.flip ? W - 1 - x : x);
      const std::int64_t p = y * W + x;
      for (std::int64_t c = 0; c < C; ++c) {
        auto at = [&](std::int64_t row, std::int64_t col) {
          return static_cast<float>(decoded[(row * width + col) * C + c]);
        };
        const float top = at(ty.first, tx.first) + (at(ty.first, tx.second) - at(ty.first, tx.first)) * tx.weight;
        const float bottom = at(ty.second, tx.first) + (at(ty.second, tx.second) - at(ty.second, tx.first)) * tx.weight;
        // Rounded to uint8 as the host's crop leaves it, then the element-wise part as on any batch.
        const float v = std::nearbyint(std::clamp(top + (bottom - top) * ty.weight, 0.0f, 255.0f));
        const std::int64_t o = t.to_chw ? c * plane + p : p * C + c;
        if (!f32_out) {
          out[o] = static_cast<std::byte>(static_cast<std::uint8_t>(v));
          continue;
        }
        const float r = (v * t.scale - t.mean[static_cast<std::size_t>(c)]) * t.inv_std[static_cast<std::size_t>(c)];
        std::memcpy(out + 4 * o, &r, 4);
      }
    }
  }
}

#if !FEEDGRAPH_HAVE_NVJPEG
std::string nvjpeg_unavailable(int, const std::string&) {
  return "decode_jpeg in device_transforms needs nvJPEG, and this build has none (FEEDGRAPH_NVJPEG is off, or the "
         "CUDA toolkit it was built with has no nvjpeg.h): decode on the host (transforms: [decode_jpeg, ...]) or "
         "build where the toolkit has nvJPEG";
}
#endif

#if !FEEDGRAPH_HAVE_CUDA
void enqueue_device_transform(const DeviceTransform&, const std::byte*, std::byte*, std::int64_t, CUstream_st*) {
  throw Error("device transforms on cuda need a build with CUDA");
}
void enqueue_decoded_transform(const DeviceTransform&, const DecodedImage*, std::int64_t, std::byte*, CUstream_st*) {
  throw Error("decode on cuda needs a build with CUDA");
}
void enqueue_ragged_checksum(const std::byte*, const EncodedSample*, std::int64_t, std::uint64_t*, CUstream_st*) {
  throw Error("decode on cuda needs a build with CUDA");
}
#endif

}  // namespace feedgraph::detail
