// `to_chw` — HWC (channels last, as images decode) → CHW (channels first, as most models take them): a
// height x width x C sample becomes C x height x width, values unchanged. Any dtype; no options.
//
// Done last on the host, or on the device (device_transforms), so that the geometric transforms before it
// work on whole pixels.
#include <cstdint>
#include <cstring>

#include "feedgraph/stage.hpp"
#include "transform/image_ops.hpp"

namespace feedgraph::stages {
namespace {

// One pass over the input, C output planes written in step; typed by element size so that each move is one
// load and one store.
template <class T>
void transpose(const std::byte* src, std::byte* dst, std::int64_t pixels, std::int64_t channels) {
  const auto n = static_cast<std::size_t>(pixels);
  for (std::int64_t c = 0; c < channels; ++c) {
    const std::byte* s = src + static_cast<std::size_t>(c) * sizeof(T);
    std::byte* d = dst + static_cast<std::size_t>(c) * n * sizeof(T);
    for (std::size_t i = 0; i < n; ++i) std::memcpy(d + i * sizeof(T), s + i * static_cast<std::size_t>(channels) * sizeof(T), sizeof(T));
  }
}

class ToChw final : public Transform {
 public:
  SampleLayout output(const SampleLayout& in) const override {
    return {{in.shape[2], in.shape[0], in.shape[1]}, in.dtype};
  }

  void apply(const SampleView& in, SampleOut& out, const SampleContext&) const override {
    const auto hwc = image::Hwc::of(in.layout);
    const std::span<std::byte> dst = out.allocate(SampleLayout{{hwc.channels, hwc.height, hwc.width}, in.layout.dtype});
    const std::int64_t pixels = hwc.height * hwc.width;
    switch (dtype_size(in.layout.dtype)) {
      case 1: transpose<std::uint8_t>(in.bytes.data(), dst.data(), pixels, hwc.channels); break;
      case 2: transpose<std::uint16_t>(in.bytes.data(), dst.data(), pixels, hwc.channels); break;
      default: transpose<std::uint32_t>(in.bytes.data(), dst.data(), pixels, hwc.channels); break;
    }
  }
};

}  // namespace

std::unique_ptr<Transform> make_to_chw(const StageOptions& o, const StageContext& ctx) {
  image::require_hwc(o, "to_chw", ctx.layout, {DType::u8, DType::i32, DType::f16, DType::f32});
  return std::make_unique<ToChw>();
}

}  // namespace feedgraph::stages
