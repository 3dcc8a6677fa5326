// `resize` — scales an HWC image (uint8 or float32), bilinear (image_ops.hpp: half-pixel centers, no
// antialiasing).
//
// Options, one of:
//   size: S                    the shorter side becomes S, the aspect ratio is kept: the longer side becomes
//                              floor(S * long / short), as torchvision's Resize(S). The output size varies with
//                              the input's unless the input's is fixed: follow it with a crop.
//   height: H, width: W        exactly H x W
#include "feedgraph/stage.hpp"
#include "transform/image_ops.hpp"

namespace feedgraph::stages {
namespace {

class Resize final : public Transform {
 public:
  /// `shorter` > 0: shorter-side mode; else exactly `exact`.
  Resize(std::int64_t shorter, image::Size2 exact) : shorter_(shorter), exact_(exact) {}

  SampleLayout output(const SampleLayout& in) const override {
    SampleLayout out = in;
    const image::Size2 size = (shorter_ > 0 && (in.shape[0] < 0 || in.shape[1] < 0))
                                  ? image::Size2{kVaries, kVaries}
                                  : target(in.shape[0], in.shape[1]);
    out.shape[0] = size.height;
    out.shape[1] = size.width;
    return out;
  }

  void apply(const SampleView& in, SampleOut& out, const SampleContext&) const override {
    const auto hwc = image::Hwc::of(in.layout);
    const image::Size2 size = target(hwc.height, hwc.width);
    const std::span<std::byte> dst = out.allocate(SampleLayout{{size.height, size.width, hwc.channels}, in.layout.dtype});
    image::resample(in.layout.dtype, in.bytes.data(), hwc.width, hwc.channels, image::Axis::whole(hwc.height, size.height),
                    image::Axis::whole(hwc.width, size.width), dst.data());
  }

  std::optional<PixelMap> pixel_map(std::int64_t height, std::int64_t width, const SampleContext&) const override {
    const image::Size2 size = target(height, width);
    return PixelMap{image::Axis::whole(height, size.height), image::Axis::whole(width, size.width)};
  }

 private:
  image::Size2 target(std::int64_t height, std::int64_t width) const {
    if (shorter_ <= 0) return exact_;
    // In integers, so that the size never depends on floating-point rounding: floor(S * long / short).
    if (height <= width) return {shorter_, std::max<std::int64_t>(1, shorter_ * width / height)};
    return {std::max<std::int64_t>(1, shorter_ * height / width), shorter_};
  }

  std::int64_t shorter_;
  image::Size2 exact_;
};

}  // namespace

std::unique_ptr<Transform> make_resize(const StageOptions& o, const StageContext& ctx) {
  image::require_hwc(o, "resize", ctx.layout, {DType::u8, DType::f32});
  if (o.has("size")) return std::make_unique<Resize>(image::read_size(o).height, image::Size2{});
  return std::make_unique<Resize>(0, image::read_size(o));
}

}  // namespace feedgraph::stages
