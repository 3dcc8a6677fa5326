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

/// The largest sample the engine takes, 1 TiB: far beyond any batch a GPU holds, and small enough that a count
/// of such samples times their size stays countable. A source checks a shape it reads from a file against it.
inline constexpr std::uint64_t kMaxSampleBytes = std::uint64_t{1} << 40;

struct SampleLayout {
  std::vector<std::int64_t> shape;
  DType dtype = DType::f32;

  /// False when some entry is `kVaries`: such samples cannot sit in a batch until a transform fixes them.
  bool fixed() const noexcept;
  /// 0 unless fixed(). The product must fit in 64 bits: for a shape from outside, ask checked_bytes() first.
  std::int64_t elements() const noexcept;
  std::size_t bytes() const noexcept { return static_cast<std::size_t>(elements()) * dtype_size(dtype); }
  /// bytes(), or nullopt when the product of the shape and the dtype's size does not fit in 64 bits.
  std::optional<std::uint64_t> checked_bytes() const noexcept;
  /// "3x256x256 float32"; a varying entry shows as `?`. Throws nothing.
  std::string describe() const;
  bool operator==(const SampleLayout&) const = default;
};

}  // namespace feedgraph
