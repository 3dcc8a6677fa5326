// `normalize` — x ← (x - mean) / std for every element, into float32.
//
// Options:
//   mean: 0.0 | [m0, m1, ...]    one value for every element, or one per channel
//   std:  1.0 | [s0, s1, ...]    the same; each > 0
//   layout: chw | hwc            where the channel axis is, for per-channel values. By default inferred: a
//                                rank-3 sample whose first dimension is 1 to 4 is CHW (after to_chw), else one
//                                whose last dimension is 1 to 4 is HWC (images as decoded).
//
// float32 samples are normalized in place; uint8 samples (decoded images) become float32, which cannot be in
// place (four times the bytes). With ImageNet's statistics on 0-255 pixels:
//   - normalize: {mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375]}
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "feedgraph/stage.hpp"
#include "feedgraph/detail/vector_clones.hpp"

namespace feedgraph::stages {
namespace {

// Cloned for AVX-512 and AVX2: the loops are memory-bound only once they are vectorized. memcpy in and out
// keeps them free of aliasing and alignment questions; it compiles to vector loads.

/// One mean and scale for `n` contiguous float32 elements, in place.
FEEDGRAPH_VECTOR_CLONES
void normalize_f32(std::byte* p, std::size_t n, float mean, float inv_std) {
  for (std::size_t i = 0; i < n; ++i) {
    float v;
    std::memcpy(&v, p + 4 * i, 4);
    v = (v - mean) * inv_std;
    std::memcpy(p + 4 * i, &v, 4);
  }
}

/// Interleaved channels (HWC), in place: `mean` and `inv_std` repeat the per-channel values over `period`
/// elements (a multiple of the channel count long enough to vectorize), so the inner loop has no modulo.
FEEDGRAPH_VECTOR_CLONES
void normalize_f32_interleaved(std::byte* p, std::size_t n, const float* mean, const float* inv_std,
                               std::size_t period) {
  for (std::size_t base = 0; base < n; base += period) {
    const std::size_t m = std::min(period, n - base);
    std::byte* q = p + 4 * base;
    for (std::size_t j = 0; j < m; ++j) {
      float v;
      std::memcpy(&v, q + 4 * j, 4);
      v = (v - mean[j]) * inv_std[j];
      std::memcpy(q + 4 * j, &v, 4);
    }
  }
}

FEEDGRAPH_VECTOR_CLONES
void normalize_u8(const std::uint8_t* src, std::byte* dst, std::size_t n, float mean, float inv_std) {
  for (std::size_t i = 0; i < n; ++i) {
    const float v = (static_cast<float>(src[i]) - mean) * inv_std;
    std::memcpy(dst + 4 * i, &v, 4);
  }
}

FEEDGRAPH_VECTOR_CLONES
void normalize_u8_interleaved(const std::uint8_t* src, std::byte* dst, std::size_t n, const float* mean,
                              const float* inv_std, std::size_t period) {
  for (std::size_t base = 0; base < n; base += period) {
    const std::size_t m = std::min(period, n - base);
    for (std::size_t j = 0; j < m; ++j) {
      const float v = (static_cast<float>(src[base + j]) - mean[j]) * inv_std[j];
      std::memcpy(dst + 4 * (base + j), &v, 4);
    }
  }
}

enum class Channels { none, first, last };

class Normalize final : public Transform {
 public:
  /// `mean` and `inv_std` hold one value (Channels::none) or one per channel.
  Normalize(std::vector<float> mean, std::vector<float> inv_std, Channels channels, DType in)
      : mean_(std::move(mean)), inv_std_(std::move(inv_std)), channels_(channels), in_(in) {
    if (channels_ == Channels::last) {
      // 16 pixels' worth of repeated values: a whole number of vectors for 1 to 4 channels.
      const std::size_t c = mean_.size();
      for (std::size_t i = 0; i < 16 * c; ++i) {
        mean_pattern_.push_back(mean_[i % c]);
        inv_pattern_.push_back(inv_std_[i % c]);
      }
    }
  }

  bool in_place() const override { return in_ == DType::f32; }

  SampleLayout output(const SampleLayout& in) const override { return {in.shape, DType::f32}; }

  void apply(const SampleView& in, SampleOut& out, const SampleContext&) const override {
    // In place for float32: `dst` is in.bytes' own memory, and every loop reads an element before writing it.
    const std::span<std::byte> dst = out.allocate(SampleLayout{in.layout.shape, DType::f32});
    const auto n = static_cast<std::size_t>(in.layout.elements());
    const auto* src = reinterpret_cast<const std::uint8_t*>(in.bytes.data());
    const bool f32 = in_ == DType::f32;
    switch (channels_) {
      case Channels::none:
        if (f32) normalize_f32(dst.data(), n, mean_[0], inv_std_[0]);
        else normalize_u8(src, dst.data(), n, mean_[0], inv_std_[0]);
        break;
      case Channels::first: {
        // Each channel's plane is contiguous: the one-value loop, once per plane.
        const std::size_t plane = n / mean_.size();
        for (std::size_t c = 0; c < mean_.size(); ++c) {
          if (f32) normalize_f32(dst.data() + 4 * c * plane, plane, mean_[c], inv_std_[c]);
          else normalize_u8(src + c * plane, dst.data() + 4 * c * plane, plane, mean_[c], inv_std_[c]);
        }
        break;
      }
      case Channels::last:
        if (f32) normalize_f32_interleaved(dst.data(), n, mean_pattern_.data(), inv_pattern_.data(), mean_pattern_.size());
        else normalize_u8_interleaved(src, dst.data(), n, mean_pattern_.data(), inv_pattern_.data(), mean_pattern_.size());
        break;
    }
  }

 private:
  std::vector<float> mean_, inv_std_;
  std::vector<float> mean_pattern_, inv_pattern_;
  Channels channels_;
  DType in_;
};

bool small_channel_count(std::int64_t d) { return d >= 1 && d <= 4; }

}  // namespace

std::unique_ptr<Transform> make_normalize(const StageOptions& o, const StageContext& ctx) {
  std::vector<double> mean = o.numbers("mean", {0.0});
  std::vector<double> std_dev = o.numbers("std", {1.0}, {.greater_than = 0.0});
  const std::string layout_name = o.choice("layout", "", {"chw", "hwc"});
  const SampleLayout& in = ctx.layout;
  if (in.dtype != DType::f32 && in.dtype != DType::u8)
    o.fail("", "normalize needs float32 or uint8 samples, it receives " + in.describe());

  Channels channels = Channels::none;
  if (mean.size() > 1 || std_dev.size() > 1 || !layout_name.empty()) {
    const bool rank3 = in.shape.size() == 3;
    if (layout_name == "chw" || (layout_name.empty() && rank3 && small_channel_count(in.shape[0])))
      channels = Channels::first;
    else if (layout_name == "hwc" || (layout_name.empty() && rank3 && small_channel_count(in.shape[2])))
      channels = Channels::last;
    else
      o.fail(mean.size() > 1 ? "mean" : "std",
             "per-channel values need images with a channel axis of 1 to 4 first (CHW) or last (HWC); the samples "
             "are " + in.describe());
    if (!rank3) o.fail("layout", "layout needs rank-3 images, the samples are " + in.describe());
    const std::int64_t count = in.shape[channels == Channels::first ? 0 : 2];
    if (count < 1)
      o.fail("layout", "the channel axis must have a fixed size; the samples are " + in.describe());
    for (auto* values : {&mean, &std_dev}) {
      const char* key = values == &mean ? "mean" : "std";
      if (values->size() == 1) values->assign(static_cast<std::size_t>(count), values->front());
      if (values->size() != static_cast<std::size_t>(count)) {
        o.fail(key, "has " + std::to_string(values->size()) + " values but the samples have " + std::to_string(count) +
                        " channels (" + in.describe() + ", " + (channels == Channels::first ? "CHW" : "HWC") + ")");
      }
    }
  }
  std::vector<float> mean_f, inv_f;
  for (std::size_t i = 0; i < mean.size(); ++i) {
    mean_f.push_back(static_cast<float>(mean[i]));
    inv_f.push_back(static_cast<float>(1.0 / std_dev[i]));
  }
  return std::make_unique<Normalize>(std::move(mean_f), std::move(inv_f), channels, in.dtype);
}

}  // namespace feedgraph::stages
