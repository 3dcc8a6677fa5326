// `cast` — converts every element to another dtype, optionally scaled: x ← x * scale, then converted.
//
// Options:
//   dtype: float32 | uint8 | int32 | float16   (required)
//   scale: 1.0                                 multiplies each value first (1/255 maps uint8 pixels to [0, 1])
//
// To an integer dtype values are rounded to nearest and saturated to its range (NaN becomes 0); to float16 they
// are rounded to nearest even. The arithmetic is float32's. In place when the dtype does not change.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "feedgraph/stage.hpp"

namespace feedgraph::stages {
namespace {

float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t exponent = (h >> 10) & 0x1Fu;
  const std::uint32_t mantissa = h & 0x3FFu;
  float magnitude;
  if (exponent == 0) {
    magnitude = std::ldexp(static_cast<float>(mantissa), -24);  // zero or subnormal
  } else if (exponent == 31) {
    magnitude = mantissa ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
  } else {
    const std::uint32_t bits = ((exponent + 112u) << 23) | (mantissa << 13);
    std::memcpy(&magnitude, &bits, 4);
  }
  std::uint32_t bits;
  std::memcpy(&bits, &magnitude, 4);
  bits |= sign;
  float out;
  std::memcpy(&out, &bits, 4);
  return out;
}

std::uint16_t float_to_half(float f) {
  std::uint32_t bits;
  std::memcpy(&bits, &f, 4);
  const auto sign = static_cast<std::uint16_t>((bits >> 16) & 0x8000u);
  const std::uint32_t abs = bits & 0x7FFFFFFFu;
  if (abs >= 0x7F800000u) return sign | (abs > 0x7F800000u ? 0x7E00u : 0x7C00u);  // NaN, infinity
  if (abs >= 0x477FF000u) return sign | 0x7C00u;  // rounds to beyond 65504: infinity
  if (abs < 0x38800000u) {
    // Below the smallest normal half: a subnormal, rounded to nearest even by the float addition.
    float magnitude;
    std::memcpy(&magnitude, &abs, 4);
    return sign | static_cast<std::uint16_t>(std::nearbyint(magnitude * 16777216.0f));
  }
  // Normal: rebias the exponent, round the 13 dropped mantissa bits to nearest even.
  const std::uint32_t rounded = abs + 0xFFFu + ((abs >> 13) & 1u);
  return sign | static_cast<std::uint16_t>((rounded - 0x38000000u) >> 13);
}

template <DType T>
float load(const std::byte* p) {
  if constexpr (T == DType::u8) {
    return static_cast<float>(std::to_integer<std::uint8_t>(*p));
  } else if constexpr (T == DType::i32) {
    std::int32_t v;
    std::memcpy(&v, p, 4);
    return static_cast<float>(v);
  } else if constexpr (T == DType::f16) {
    std::uint16_t v;
    std::memcpy(&v, p, 2);
    return half_to_float(v);
  } else {
    float v;
    std::memcpy(&v, p, 4);
    return v;
  }
}

template <DType T>
void store(std::byte* p, float v) {
  if constexpr (T == DType::u8) {
    if (!(v > 0.0f)) v = 0.0f;  // NaN too
    *p = static_cast<std::byte>(static_cast<std::uint8_t>(std::min(v, 255.0f) + 0.5f));
  } else if constexpr (T == DType::i32) {
    std::int32_t out = 0;
    if (v >= 2147483648.0f) out = std::numeric_limits<std::int32_t>::max();
    else if (v <= -2147483648.0f) out = std::numeric_limits<std::int32_t>::min();
    else if (v == v) out = static_cast<std::int32_t>(std::lrint(v));
    std::memcpy(p, &out, 4);
  } else if constexpr (T == DType::f16) {
    const std::uint16_t h = float_to_half(v);
    std::memcpy(p, &h, 2);
  } else {
    std::memcpy(p, &v, 4);
  }
}

constexpr std::size_t size_of(DType t) { return t == DType::u8 ? 1 : t == DType::f16 ? 2 : 4; }

template <DType In, DType Out>
void convert(const std::byte* src, std::byte* dst, std::size_t n, float scale) {
  constexpr std::size_t a = size_of(In), b = size_of(Out);
  // Front to back, each element read before it is written: safe in place (same dtype, same offsets).
  for (std::size_t i = 0; i < n; ++i) store<Out>(dst + i * b, load<In>(src + i * a) * scale);
}

template <DType In>
void convert_from(DType out, const std::byte* src, std::byte* dst, std::size_t n, float scale) {
  switch (out) {
    case DType::u8: return convert<In, DType::u8>(src, dst, n, scale);
    case DType::i32: return convert<In, DType::i32>(src, dst, n, scale);
    case DType::f16: return convert<In, DType::f16>(src, dst, n, scale);
    case DType::f32: return convert<In, DType::f32>(src, dst, n, scale);
  }
}

class Cast final : public Transform {
 public:
  Cast(DType in, DType out, float scale) : in_(in), out_(out), scale_(scale) {}

  bool in_place() const override { return in_ == out_; }
  SampleLayout output(const SampleLayout& in) const override { return {in.shape, out_}; }

  void apply(const SampleView& in, SampleOut& out, const SampleContext&) const override {
    const std::span<std::byte> dst = out.allocate(SampleLayout{in.layout.shape, out_});
    const auto n = static_cast<std::size_t>(in.layout.elements());
    const std::byte* src = in.bytes.data();
    switch (in_) {
      case DType::u8: return convert_from<DType::u8>(out_, src, dst.data(), n, scale_);
      case DType::i32: return convert_from<DType::i32>(out_, src, dst.data(), n, scale_);
      case DType::f16: return convert_from<DType::f16>(out_, src, dst.data(), n, scale_);
      case DType::f32: return convert_from<DType::f32>(out_, src, dst.data(), n, scale_);
    }
  }

 private:
  DType in_, out_;
  float scale_;
};

}  // namespace

std::unique_ptr<Transform> make_cast(const StageOptions& o, const StageContext& ctx) {
  if (!o.has("dtype")) o.fail("dtype", "cast needs the dtype to convert to: float32, uint8, int32 or float16");
  const auto dtype = *parse_dtype(o.choice("dtype", "float32", {"float32", "uint8", "int32", "float16"}));
  const double scale = o.number("scale", 1.0);
  return std::make_unique<Cast>(ctx.layout.dtype, dtype, static_cast<float>(scale));
}

}  // namespace feedgraph::stages
