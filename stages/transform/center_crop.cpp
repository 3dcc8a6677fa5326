// `center_crop` — the central window of an HWC image (uint8 or float32). Its output size is fixed, so it can
// end the transforms.
//
// Options, one of:
//   size: S                    an S x S window
//   height: H, width: W        an H x W window
//
// The window's top-left corner is at ((H_in - H) / 2, (W_in - W) / 2), rounded down. An image smaller than the
// window in either dimension is first scaled up, keeping its aspect ratio, just enough to cover it (bilinear),
// then cropped: every pixel of the output comes from the image. (torchvision pads with zeros instead, which
// would put black borders in the batch.)
#include <algorithm>
#include <cmath>

#include "feedgraph/stage.hpp"
#include "transform/image_ops.hpp"

namespace feedgraph::stages {
namespace {

class CenterCrop final : public Transform {
 public:
  explicit CenterCrop(image::Size2 size) : size_(size) {}

  SampleLayout output(const SampleLayout& in) const override {
    return {{size_.height, size_.width, in.shape[2]}, in.dtype};
  }

  void apply(const SampleView& in, SampleOut& out, const SampleContext&) const override {
    const auto hwc = image::Hwc::of(in.layout);
    const std::int64_t h = size_.height, w = size_.width;
    const std::span<std::byte> dst = out.allocate(SampleLayout{{h, w, hwc.channels}, in.layout.dtype});
    const PixelMap m = map(hwc.height, hwc.width);
    if (hwc.height >= h && hwc.width >= w) {
      image::copy_window(in.bytes.data(), hwc, dtype_size(in.layout.dtype), m.y.in_start, m.x.in_start, h, w, dst.data());
      return;
    }
    image::resample(in.layout.dtype, in.bytes.data(), hwc.width, hwc.channels, m.y, m.x, dst.data());
  }

  std::optional<PixelMap> pixel_map(std::int64_t height, std::int64_t width, const SampleContext&) const override {
    return map(height, width);
  }

 private:
  PixelMap map(std::int64_t height, std::int64_t width) const {
    const std::int64_t h = size_.height, w = size_.width;
    if (height >= h && width >= w) {
      // A plain window: each output pixel is one input pixel (a resample at scale 1 samples pixel centres).
      return {{(height - h) / 2, h, h, 0, h}, {(width - w) / 2, w, w, 0, w}};
    }
    // Scaled up by the larger of the two ratios, so that both sides cover the window; the crop of that
    // scaled image is resampled in one pass (image::Axis), without making the scaled image.
    const double scale = std::max(static_cast<double>(h) / static_cast<double>(height),
                                  static_cast<double>(w) / static_cast<double>(width));
    const std::int64_t sh = std::max<std::int64_t>(h, std::llround(static_cast<double>(height) * scale));
    const std::int64_t sw = std::max<std::int64_t>(w, std::llround(static_cast<double>(width) * scale));
    return {{0, height, sh, (sh - h) / 2, h}, {0, width, sw, (sw - w) / 2, w}};
  }

  image::Size2 size_;
};

}  // namespace

std::unique_ptr<Transform> make_center_crop(const StageOptions& o, const StageContext& ctx) {
  image::require_hwc(o, "center_crop", ctx.layout, {DType::u8, DType::f32});
  return std::make_unique<CenterCrop>(image::read_size(o));
}

}  // namespace feedgraph::stages
