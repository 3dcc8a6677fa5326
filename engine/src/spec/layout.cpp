// Element types and sample layouts (layout.hpp).
#include "feedgraph/layout.hpp"

#include <fmt/format.h>

namespace feedgraph {

std::size_t dtype_size(DType t) noexcept {
  switch (t) {
    case DType::u8: return 1;
    case DType::i32: return 4;
    case DType::f16: return 2;
    case DType::f32: return 4;
  }
  return 0;  // unreachable for a valid enumerator; keeps -Wreturn-type quiet
}

std::string_view dtype_name(DType t) noexcept {
  switch (t) {
    case DType::u8: return "uint8";
    case DType::i32: return "int32";
    case DType::f16: return "float16";
    case DType::f32: return "float32";
  }
  return "unknown";
}

std::optional<DType> parse_dtype(std::string_view name) noexcept {
  for (DType t : {DType::u8, DType::i32, DType::f16, DType::f32}) {
    if (dtype_name(t) == name) return t;
  }
  return std::nullopt;
}

bool SampleLayout::fixed() const noexcept {
  for (std::int64_t d : shape) {
    if (d < 0) return false;
  }
  return true;
}

std::int64_t SampleLayout::elements() const noexcept {
  // An empty shape is a scalar: one element, as in NumPy.
  std::int64_t n = 1;
  for (std::int64_t d : shape) {
    if (d < 0) return 0;  // varies
    n *= d;
  }
  return n;
}

std::optional<std::uint64_t> SampleLayout::checked_bytes() const noexcept {
  if (!fixed()) return 0;
  std::uint64_t bytes = dtype_size(dtype);
  for (std::int64_t d : shape) {
    if (__builtin_mul_overflow(bytes, static_cast<std::uint64_t>(d), &bytes)) return std::nullopt;
  }
  return bytes;
}

std::string SampleLayout::describe() const {
  if (shape.empty()) return fmt::format("scalar {}", dtype_name(dtype));
  std::string dims;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) dims += 'x';
    dims += shape[i] < 0 ? std::string("?") : std::to_string(shape[i]);
  }
  return fmt::format("{} {}", dims, dtype_name(dtype));
}

}  // namespace feedgraph
