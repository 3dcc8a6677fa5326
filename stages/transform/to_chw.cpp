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

// One pass over the input writing the C planes in step, typed by element size and (for 1, 3 and 4) by the
// channel count, so that the compiler turns it into shuffles rather than strided byte moves.
template <class T, int C>
void transpose(const std::byte* src_bytes, std::byte* dst_bytes, std::size_t pixels, std::int64_t channels) {
  const std::size_t ch = C > 0 ? C : static_cast<std::size_t>(channels);
  // Sample buffers and batch slots are aligned to their element size.
  const T* __restrict src = reinterpret_cast<const T*>(src_bytes);
  T* __restrict dst = reinterpret_cast<T*>(dst_bytes);
  for (std::size_t i = 0; i < pixels; ++i)
    for (std::size_t c = 0; c < ch; ++c) dst[c * pixels + i] = src[i * ch + c];
}

template <class T>
void transpose(const std::byte* src, std::byte* dst, std::size_t pixels, std::int64_t channels) {
  switch (channels) {
    case 1: return transpose<T, 1>(src, dst, pixels, channels);
    case 3: return transpose<T, 3>(src, dst, pixels, channels);
    case 4: return transpose<T, 4>(src, dst, pixels, channels);
    default: return transpose<T, 0>(src, dst, pixels, channels);
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
    const auto pixels = static_cast<std::size_t>(hwc.height * hwc.width);
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
