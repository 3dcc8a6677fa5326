// The image transforms' shared parts (image_ops.hpp): layout checks, size options, bilinear resampling.
#include "transform/image_ops.hpp"

#include <algorithm>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "feedgraph/detail/vector_clones.hpp"

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

constexpr int kShift = 11;  // uint8 weights in 1/2048: a blend of blends stays within 32 bits
constexpr std::uint32_t kOne = 1u << kShift;

// Cloned for AVX-512 and AVX2: the vertical blend is a plain loop over a row, memory-bound once vectorized.

/// Per output index of one axis: the two inputs it blends (as element offsets along that axis) and the
/// second one's weight.
struct Taps {
  std::vector<std::int32_t> first, second;
  std::vector<float> weight;         // float32 images
  std::vector<std::uint32_t> fixed;  // uint8 images, in 1/kOne
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
    t.first[d] = static_cast<std::int32_t>((a.in_start + i) * stride);
    t.second[d] = static_cast<std::int32_t>((a.in_start + j) * stride);
    t.weight[d] = static_cast<float>(frac);
    t.fixed[d] = static_cast<std::uint32_t>(frac * kOne + 0.5);
  }
}

// Separable: each input row that an output row needs is blended horizontally once (kept while the next
// output rows need it: upscaled crops reuse most rows), then pairs of those rows are blended vertically, a
// loop that vectorizes. The channel count is a template parameter for the common 1, 3 and 4.

/// uint8: out = a * (1 - w) + b * w in 1/kOne, at most 255 * 2^11.
template <int C>
void horizontal(const std::uint8_t* __restrict row, const Taps& tx, std::int64_t channels, std::uint32_t* __restrict out) {
  const std::int64_t ch = C > 0 ? C : channels;
  const std::int32_t* __restrict first = tx.first.data();
  const std::int32_t* __restrict second = tx.second.data();
  const std::uint32_t* __restrict w = tx.fixed.data();
  const std::size_t n = tx.first.size();
  for (std::size_t x = 0; x < n; ++x, out += ch) {
    const std::uint8_t* a = row + first[x];
    const std::uint8_t* b = row + second[x];
    const std::uint32_t wb = w[x], wa = kOne - wb;
    for (std::int64_t c = 0; c < ch; ++c) out[c] = a[c] * wa + b[c] * wb;
  }
}

template <int C>
void horizontal(const float* __restrict row, const Taps& tx, std::int64_t channels, float* __restrict out) {
  const std::int64_t ch = C > 0 ? C : channels;
  const std::int32_t* __restrict first = tx.first.data();
  const std::int32_t* __restrict second = tx.second.data();
  const float* __restrict w = tx.weight.data();
  const std::size_t n = tx.first.size();
  for (std::size_t x = 0; x < n; ++x, out += ch) {
    const float* a = row + first[x];
    const float* b = row + second[x];
    for (std::int64_t c = 0; c < ch; ++c) out[c] = a[c] + (b[c] - a[c]) * w[x];
  }
}

FEEDGRAPH_VECTOR_CLONES
void vertical(const std::uint32_t* __restrict top, const std::uint32_t* __restrict bottom, std::uint32_t wy,
              std::size_t n, std::uint8_t* __restrict out) {
  const std::uint32_t wt = kOne - wy;
  for (std::size_t i = 0; i < n; ++i)
    out[i] = static_cast<std::uint8_t>((top[i] * wt + bottom[i] * wy + (1u << (2 * kShift - 1))) >> (2 * kShift));
}

FEEDGRAPH_VECTOR_CLONES
void vertical(const float* __restrict top, const float* __restrict bottom, float wy, std::size_t n,
              float* __restrict out) {
  for (std::size_t i = 0; i < n; ++i) out[i] = top[i] + (bottom[i] - top[i]) * wy;
}

/// The input rows blended horizontally, two at a time, reused while the output rows still need them.
template <class Pixel, class Acc>
class RowCache {
 public:
  RowCache(const Pixel* src, std::int64_t row_elements, const Taps& tx, std::int64_t channels,
           std::vector<Acc> (&buffers)[2])
      : src_(src), row_elements_(row_elements), tx_(tx), channels_(channels), buffers_(buffers) {
    const std::size_t n = tx.first.size() * static_cast<std::size_t>(channels);
    for (auto& b : buffers_) b.resize(n);
  }

  /// Input row `row` blended horizontally; never evicts `keep`, the other row the caller needs.
  const Acc* get(std::int64_t row, std::int64_t keep) {
    for (int k = 0; k < 2; ++k)
      if (held_[k] == row) return buffers_[k].data();
    const int k = held_[0] == keep ? 1 : 0;
    const Pixel* in = src_ + row * row_elements_;
    Acc* out = buffers_[k].data();
    switch (channels_) {
      case 1: horizontal<1>(in, tx_, channels_, out); break;
      case 3: horizontal<3>(in, tx_, channels_, out); break;
      case 4: horizontal<4>(in, tx_, channels_, out); break;
      default: horizontal<0>(in, tx_, channels_, out); break;
    }
    held_[k] = row;
    return out;
  }

 private:
  const Pixel* src_;
  std::int64_t row_elements_;
  const Taps& tx_;
  std::int64_t channels_;
  std::vector<Acc> (&buffers_)[2];
  std::int64_t held_[2] = {-1, -1};
};

template <class Pixel, class Acc>
void resample_typed(const Pixel* src, std::int64_t src_width, std::int64_t channels, const Taps& ty, const Taps& tx,
                    std::vector<Acc> (&buffers)[2], Pixel* dst) {
  RowCache<Pixel, Acc> rows(src, src_width * channels, tx, channels, buffers);
  const std::size_t n = tx.first.size() * static_cast<std::size_t>(channels);
  for (std::size_t y = 0; y < ty.first.size(); ++y, dst += n) {
    const std::int64_t r0 = ty.first[y], r1 = ty.second[y];
    const Acc* top = rows.get(r0, r1);
    const Acc* bottom = r1 == r0 ? top : rows.get(r1, r0);
    if constexpr (std::is_same_v<Pixel, std::uint8_t>) {
      vertical(top, bottom, ty.fixed[y], n, dst);
    } else {
      vertical(top, bottom, ty.weight[y], n, dst);
    }
  }
}

}  // namespace

void resample(DType dtype, const std::byte* src, std::int64_t src_width, std::int64_t channels, const Axis& y,
              const Axis& x, std::byte* dst) {
  // Per thread and reused: the transforms run on TBB workers, and a sample must not allocate.
  thread_local Taps ty, tx;
  thread_local std::vector<std::uint32_t> rows_u8[2];
  thread_local std::vector<float> rows_f32[2];
  make_taps(y, 1, ty);  // rows
  make_taps(x, channels, tx);
  if (dtype == DType::u8) {
    resample_typed(reinterpret_cast<const std::uint8_t*>(src), src_width, channels, ty, tx, rows_u8,
                   reinterpret_cast<std::uint8_t*>(dst));
  } else {
    // float32 (the factories admit no other): sample buffers and batch slots of 4-byte elements are 4-aligned.
    resample_typed(reinterpret_cast<const float*>(src), src_width, channels, ty, tx, rows_f32,
                   reinterpret_cast<float*>(dst));
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
