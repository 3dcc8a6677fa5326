// `random_flip` — mirrors an HWC image left to right with probability p, in place. Any dtype.
//
// Options:
//   p: 0.5        the probability of a flip, in [0, 1]
//
// Whether a sample is flipped comes from (seed, epoch, sample id, this transform's place in the file) alone
// (sample_random.hpp): the same at any concurrency, drawn afresh each epoch.
#include <cstring>
#include <vector>

#include "feedgraph/stage.hpp"
#include "transform/image_ops.hpp"
#include "transform/sample_random.hpp"

namespace feedgraph::stages {
namespace {

/// Reverses the order of the `width` pixels of each row, `P` bytes a pixel: each row is copied aside and written
/// back pixel by pixel from its end. P is a compile-time size for the usual uint8 and float32 pixels, so each
/// pixel is one or two moves.
template <std::size_t P>
void mirror_rows(std::byte* data, std::int64_t height, std::int64_t width, std::byte* row_copy) {
  const std::size_t row_bytes = static_cast<std::size_t>(width) * P;
  for (std::int64_t y = 0; y < height; ++y) {
    std::byte* row = data + static_cast<std::size_t>(y) * row_bytes;
    std::memcpy(row_copy, row, row_bytes);
    const std::byte* from = row_copy + row_bytes - P;
    for (std::int64_t x = 0; x < width; ++x, row += P, from -= P) std::memcpy(row, from, P);
  }
}

void mirror_rows(std::byte* data, std::int64_t height, std::int64_t width, std::size_t pixel) {
  thread_local std::vector<std::byte> row_copy;  // per worker, grown to the widest row once
  row_copy.resize(static_cast<std::size_t>(width) * pixel);
  std::byte* tmp = row_copy.data();
  switch (pixel) {
    case 1: return mirror_rows<1>(data, height, width, tmp);
    case 3: return mirror_rows<3>(data, height, width, tmp);
    case 4: return mirror_rows<4>(data, height, width, tmp);
    case 12: return mirror_rows<12>(data, height, width, tmp);
    case 16: return mirror_rows<16>(data, height, width, tmp);
    default: break;
  }
  const std::size_t row_bytes = static_cast<std::size_t>(width) * pixel;
  for (std::int64_t y = 0; y < height; ++y) {
    std::byte* row = data + static_cast<std::size_t>(y) * row_bytes;
    std::memcpy(tmp, row, row_bytes);
    for (std::int64_t x = 0; x < width; ++x)
      std::memcpy(row + static_cast<std::size_t>(x) * pixel, tmp + static_cast<std::size_t>(width - 1 - x) * pixel, pixel);
  }
}

class RandomFlip final : public Transform {
 public:
  RandomFlip(double p, SampleRandom::Salt salt) : p_(p), salt_(salt) {}

  bool in_place() const override { return true; }

  void apply(const SampleView& in, SampleOut& out, const SampleContext& ctx) const override {
    // In place: `dst` is the input's own memory; each row is copied aside before it is rewritten.
    const std::span<std::byte> dst = out.allocate(in.layout);
    SampleRandom rng(ctx, salt_);
    if (!(rng.uniform() < p_)) return;
    const auto hwc = image::Hwc::of(in.layout);
    mirror_rows(dst.data(), hwc.height, hwc.width, static_cast<std::size_t>(hwc.channels) * dtype_size(in.layout.dtype));
  }

  std::optional<PixelMap> pixel_map(std::int64_t height, std::int64_t width, const SampleContext& ctx) const override {
    SampleRandom rng(ctx, salt_);
    return PixelMap{image::Axis::whole(height, height), image::Axis::whole(width, width), rng.uniform() < p_};
  }

 private:
  double p_;
  SampleRandom::Salt salt_;
};

}  // namespace

std::unique_ptr<Transform> make_random_flip(const StageOptions& o, const StageContext& ctx) {
  image::require_hwc(o, "random_flip", ctx.layout, {DType::u8, DType::i32, DType::f16, DType::f32});
  const double p = o.number("p", 0.5, {.min = 0.0, .max = 1.0});
  return std::make_unique<RandomFlip>(p, SampleRandom::salt(o, "random_flip"));
}

}  // namespace feedgraph::stages
