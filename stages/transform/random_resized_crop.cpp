// `random_resized_crop` — a random window of an HWC image (uint8 or float32), resized to a fixed size
// (bilinear, image_ops.hpp): the Inception / ImageNet training crop, with torchvision's RandomResizedCrop
// semantics.
//
// Options:
//   size: S, or height: H with width: W   the output size
//   scale: [0.08, 1.0]          the window's area as a fraction of the image's, drawn uniformly
//   ratio: [0.75, 1.3333333]    the window's width / height, drawn log-uniformly
//
// Ten draws of (area, ratio) are tried; the first window that fits in the image is taken at a uniform
// position. When none fits, the whole image clamped to the ratio range, centered, is taken. The draws come
// from (seed, epoch, sample id, this transform's place in the file) alone (sample_random.hpp): the same crop at
// any concurrency, another one each epoch.
#include <algorithm>
#include <cmath>

#include "feedgraph/stage.hpp"
#include "transform/image_ops.hpp"
#include "transform/sample_random.hpp"

namespace feedgraph::stages {
namespace {

struct Window {
  std::int64_t top = 0, left = 0, height = 0, width = 0;
};

class RandomResizedCrop final : public Transform {
 public:
  RandomResizedCrop(image::Size2 size, double scale_lo, double scale_hi, double ratio_lo, double ratio_hi,
                    SampleRandom::Salt salt)
      : size_(size), scale_lo_(scale_lo), scale_hi_(scale_hi), log_ratio_lo_(std::log(ratio_lo)),
        log_ratio_hi_(std::log(ratio_hi)), ratio_lo_(ratio_lo), ratio_hi_(ratio_hi), salt_(salt) {}

  SampleLayout output(const SampleLayout& in) const override {
    return {{size_.height, size_.width, in.shape[2]}, in.dtype};
  }

  void apply(const SampleView& in, SampleOut& out, const SampleContext& ctx) const override {
    const auto hwc = image::Hwc::of(in.layout);
    const Window win = window(hwc.height, hwc.width, ctx);
    const std::span<std::byte> dst =
        out.allocate(SampleLayout{{size_.height, size_.width, hwc.channels}, in.layout.dtype});
    image::resample(in.layout.dtype, in.bytes.data(), hwc.width, hwc.channels,
                    {win.top, win.height, size_.height, 0, size_.height}, {win.left, win.width, size_.width, 0, size_.width},
                    dst.data());
  }

  std::optional<PixelMap> pixel_map(std::int64_t height, std::int64_t width, const SampleContext& ctx) const override {
    const Window win = window(height, width, ctx);
    return PixelMap{{win.top, win.height, size_.height, 0, size_.height}, {win.left, win.width, size_.width, 0, size_.width}};
  }

 private:
  // torchvision's RandomResizedCrop.get_params, step for step; round() is Python's, to nearest even (lrint).
  Window window(std::int64_t height, std::int64_t width, const SampleContext& ctx) const {
    SampleRandom rng(ctx, salt_);
    const double area = static_cast<double>(height) * static_cast<double>(width);
    for (int attempt = 0; attempt < 10; ++attempt) {
      const double target_area = area * rng.uniform(scale_lo_, scale_hi_);
      const double aspect = std::exp(rng.uniform(log_ratio_lo_, log_ratio_hi_));
      const std::int64_t w = std::lrint(std::sqrt(target_area * aspect));
      const std::int64_t h = std::lrint(std::sqrt(target_area / aspect));
      if (0 < w && w <= width && 0 < h && h <= height) {
        const std::int64_t top = rng.integer(0, height - h);
        const std::int64_t left = rng.integer(0, width - w);
        return {top, left, h, w};
      }
    }
    const double in_ratio = static_cast<double>(width) / static_cast<double>(height);
    std::int64_t w = width, h = height;
    if (in_ratio < ratio_lo_) {
      h = std::clamp<std::int64_t>(std::lrint(static_cast<double>(w) / ratio_lo_), 1, height);
    } else if (in_ratio > ratio_hi_) {
      w = std::clamp<std::int64_t>(std::lrint(static_cast<double>(h) * ratio_hi_), 1, width);
    }
    return {(height - h) / 2, (width - w) / 2, h, w};
  }

  image::Size2 size_;
  double scale_lo_, scale_hi_, log_ratio_lo_, log_ratio_hi_, ratio_lo_, ratio_hi_;
  SampleRandom::Salt salt_;
};

/// A [low, high] pair option with low <= high.
std::pair<double, double> read_pair(const StageOptions& o, const char* key, std::pair<double, double> fallback,
                                    Range range) {
  const auto v = o.numbers(key, {fallback.first, fallback.second}, range);
  if (v.size() != 2) o.fail(key, "expected two numbers, [low, high]");
  if (v[0] > v[1]) o.fail(key, "low must not be over high");
  return {v[0], v[1]};
}

}  // namespace

std::unique_ptr<Transform> make_random_resized_crop(const StageOptions& o, const StageContext& ctx) {
  image::require_hwc(o, "random_resized_crop", ctx.layout, {DType::u8, DType::f32});
  const image::Size2 size = image::read_size(o);
  const auto [scale_lo, scale_hi] = read_pair(o, "scale", {0.08, 1.0}, {.max = 1.0, .greater_than = 0.0});
  const auto [ratio_lo, ratio_hi] = read_pair(o, "ratio", {3.0 / 4.0, 4.0 / 3.0}, {.greater_than = 0.0});
  return std::make_unique<RandomResizedCrop>(size, scale_lo, scale_hi, ratio_lo, ratio_hi,
                                             SampleRandom::salt(o, "random_resized_crop"));
}

}  // namespace feedgraph::stages
