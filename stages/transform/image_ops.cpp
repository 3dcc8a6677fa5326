// The image transforms' shared parts (image_ops.hpp): layout checks, size options, bilinear resampling.
#include "transform/image_ops.hpp"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

namespace feedgraph::stages::image {

void require_hwc(const StageOptions& o, std::string_view stage, const SampleLayout& layout,
                 std::initializer_list<DType> dtypes) {
  std::string wanted;
  bool dtype_ok = false;
  for (DType t : dtypes) {
    wanted += (wanted.empty() ? "" : " or ") + std::string(dtype_name(t));
    dtype_ok = dtype_ok || t == layout.dtype;
  }
  const bool hwc = layout.shape.size() == 3 && layout.shape[2] >= 1 && layout.shape[2] <= 4;
  if (hwc && dtype_ok) return;
  std::string hint;
  if (layout.shape.size() == 1 && layout.dtype == DType::u8)
    hint = " (these look like encoded files: put decode_jpeg first)";
  else if (layout.shape.size() == 3 && layout.shape[0] >= 1 && layout.shape[0] <= 4)
    hint = " (these look channels-first already: image transforms come before to_chw)";
  o.fail("", std::string(stage) + " needs HWC images (height x width x 1 to 4 channels) of " + wanted +
                 "; it receives " + layout.describe() + hint);
}

Size2 read_size(const StageOptions& o) {
  const Range pixels{.min = 1, .max = 65535};
  if (o.has("size")) {
    if (o.has("height") || o.has("width")) o.fail("size", "give either size or height and width, not both");
    const std::int64_t s = o.integer("size", 0, pixels);
    return {s, s};
  }
  if (!o.has("height") || !o.has("width")) {
    (void)o.integer("height", 0), (void)o.integer("width", 0);  // both are known keys even when one is missing
    o.fail(o.has("height") ? "height" : o.has("width") ? "width" : "",
           "needs the output size: size: S for S x S, or both height and width");
  }
  return {o.integer("height", 0, pixels), o.integer("width", 0, pixels)};
}

namespace {

constexpr int kShift = 11;  // uint8 weights in 1/2048: the products stay within 32 bits
constexpr int kOne = 1 << kShift;

/// Per output pixel of one axis: the two input offsets it blends (in elements) and the second one's weight.
struct Taps {
  std::vector<std::int64_t> first, second;
  std::vector<float> weight;     // float32 images
  std::vector<std::int32_t> fixed;  // uint8 images, in 1/kOne
};

void make_taps(const Axis& a, std::int64_t stride, Taps& t) {
  const auto n = static_cast<std::size_t>(a.out_size);
  t.first.resize(n);
  t.second.resize(n);
  t.weight.resize(n);
  t.fixed.resize(n);
  const double scale = static_cast<double>(a.in_size) / static_cast<double>(a.out_full);
  for (std::size_t d = 0; d < n; ++d) {
    const double s = std::max(0.0, (static_cast<double>(static_cast<std::int64_t>(d) + a.out_offset) + 0.5) * scale - 0.5);
    std::int64_t i = static_cast<std::int64_t>(s);
    double frac = s - static_cast<double>(i);
    if (i >= a.in_size - 1) i = a.in_size - 1, frac = 0;
    const std::int64_t j = std::min(i + 1, a.in_size - 1);
    t.first[d] = (a.in_start + i) * stride;
    t.second[d] = (a.in_start + j) * stride;
    t.weight[d] = static_cast<float>(frac);
    t.fixed[d] = static_cast<std::int32_t>(frac * kOne + 0.5);
  }
}

// The channel count is a template parameter for the common 1, 3 and 4, so the inner loop unrolls.
template <int C>
void blend_u8(const std::uint8_t* src, const Taps& ty, const Taps& tx, std::int64_t channels, std::uint8_t* dst) {
  const std::int64_t ch = C > 0 ? C : channels;
  const std::size_t oh = ty.first.size(), ow = tx.first.size();
  for (std::size_t y = 0; y < oh; ++y) {
    const std::uint8_t* r0 = src + ty.first[y];
    const std::uint8_t* r1 = src + ty.second[y];
    const std::uint32_t wy = static_cast<std::uint32_t>(ty.fixed[y]);
    for (std::size_t x = 0; x < ow; ++x) {
      const std::int64_t a = tx.first[x], b = tx.second[x];
      const std::uint32_t wx = static_cast<std::uint32_t>(tx.fixed[x]);
      for (std::int64_t c = 0; c < ch; ++c) {
        const std::uint32_t top = r0[a + c] * (kOne - wx) + r0[b + c] * wx;
        const std::uint32_t bottom = r1[a + c] * (kOne - wx) + r1[b + c] * wx;
        *dst++ = static_cast<std::uint8_t>((top * (kOne - wy) + bottom * wy + (1u << (2 * kShift - 1))) >> (2 * kShift));
      }
    }
  }
}

template <int C>
void blend_f32(const float* src, const Taps& ty, const Taps& tx, std::int64_t channels, float* dst) {
  const std::int64_t ch = C > 0 ? C : channels;
  const std::size_t oh = ty.first.size(), ow = tx.first.size();
  for (std::size_t y = 0; y < oh; ++y) {
    const float* r0 = src + ty.first[y];
    const float* r1 = src + ty.second[y];
    const float wy = ty.weight[y];
    for (std::size_t x = 0; x < ow; ++x) {
      const std::int64_t a = tx.first[x], b = tx.second[x];
      const float wx = tx.weight[x];
      for (std::int64_t c = 0; c < ch; ++c) {
        const float top = r0[a + c] + (r0[b + c] - r0[a + c]) * wx;
        const float bottom = r1[a + c] + (r1[b + c] - r1[a + c]) * wx;
        *dst++ = top + (bottom - top) * wy;
      }
    }
  }
}

}  // namespace

void resample(DType dtype, const std::byte* src, std::int64_t src_width, std::int64_t channels, const Axis& y,
              const Axis& x, std::byte* dst) {
  // Per thread and reused: the transforms run on TBB workers, and a sample must not allocate.
  thread_local Taps ty, tx;
  make_taps(y, src_width * channels, ty);
  make_taps(x, channels, tx);
  if (dtype == DType::u8) {
    const auto* s = reinterpret_cast<const std::uint8_t*>(src);
    auto* d = reinterpret_cast<std::uint8_t*>(dst);
    switch (channels) {
      case 1: blend_u8<1>(s, ty, tx, channels, d); break;
      case 3: blend_u8<3>(s, ty, tx, channels, d); break;
      case 4: blend_u8<4>(s, ty, tx, channels, d); break;
      default: blend_u8<0>(s, ty, tx, channels, d); break;
    }
  } else {
    // float32 (the factories admit no other): sample buffers and batch slots of 4-byte elements are 4-aligned.
    const auto* s = reinterpret_cast<const float*>(src);
    auto* d = reinterpret_cast<float*>(dst);
    switch (channels) {
      case 1: blend_f32<1>(s, ty, tx, channels, d); break;
      case 3: blend_f32<3>(s, ty, tx, channels, d); break;
      case 4: blend_f32<4>(s, ty, tx, channels, d); break;
      default: blend_f32<0>(s, ty, tx, channels, d); break;
    }
  }
}

void copy_window(const std::byte* src, const Hwc& in, std::size_t element_bytes, std::int64_t top, std::int64_t left,
                 std::int64_t height, std::int64_t width, std::byte* dst) {
  const std::size_t pixel = static_cast<std::size_t>(in.channels) * element_bytes;
  const std::size_t row_in = static_cast<std::size_t>(in.width) * pixel;
  const std::size_t row_out = static_cast<std::size_t>(width) * pixel;
  const std::byte* from = src + static_cast<std::size_t>(top) * row_in + static_cast<std::size_t>(left) * pixel;
  for (std::int64_t y = 0; y < height; ++y, from += row_in, dst += row_out) std::memcpy(dst, from, row_out);
}

}  // namespace feedgraph::stages::image
