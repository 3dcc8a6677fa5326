#pragma once
// What one sample looks like in memory: a dense, C-ordered array of `shape` elements of `dtype`.
//
//   feedgraph::SampleLayout l{{3, 256, 256}, feedgraph::DType::f32};
//   l.bytes();   // 786432
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace feedgraph {

enum class DType { u8, i32, f16, f32 };

std::size_t dtype_size(DType t) noexcept;
std::string_view dtype_name(DType t) noexcept;
/// "uint8" | "int32" | "float16" | "float32"; nullopt for anything else.
std::optional<DType> parse_dtype(std::string_view name) noexcept;

/// A shape entry that differs from sample to sample: the bytes of an encoded file, an image before its crop.
inline constexpr std::int64_t kVaries = -1;

struct SampleLayout {
  std::vector<std::int64_t> shape;
  DType dtype = DType::f32;

  /// False when some entry is `kVaries`: such samples cannot sit in a batch until a transform fixes them.
  bool fixed() const noexcept;
  /// 0 unless fixed().
  std::int64_t elements() const noexcept;
  std::size_t bytes() const noexcept { return static_cast<std::size_t>(elements()) * dtype_size(dtype); }
  /// "3x256x256 float32"; a varying entry shows as `?`.
  std::string describe() const;
  bool operator==(const SampleLayout&) const = default;
};

}  // namespace feedgraph
