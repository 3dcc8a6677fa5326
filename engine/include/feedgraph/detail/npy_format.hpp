#pragma once
// The parts of NumPy's .npy format (format versions 1.0 and 2.0) that the reader (`source: npy`,
// stages/read/npy.cpp) and the writer (`make-dataset --kind npy`, write_npy.cpp) share:
//
//   "\x93NUMPY" major minor  header_len (u16 LE in 1.0, u32 LE in 2.0)  header  data
//
// The header is a Python dict literal, `{'descr': '<f4', 'fortran_order': False, 'shape': (N, 3, 32, 32), }`,
// padded with spaces and a final '\n' so that the data starts at a multiple of 64. Data follows in C order.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "feedgraph/layout.hpp"

namespace feedgraph::detail::npy {

static_assert(std::endian::native == std::endian::little, "the '<' descrs are read and written as native bytes");

inline constexpr char kMagic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};
inline constexpr std::size_t kAlignment = 64;

/// The descr NumPy writes for each of feedgraph's dtypes (little-endian; a byte has no order).
inline std::string_view descr_of(DType t) {
  switch (t) {
    case DType::u8: return "|u1";
    case DType::i32: return "<i4";
    case DType::f16: return "<f2";
    case DType::f32: return "<f4";
  }
  return "";
}

inline std::optional<DType> dtype_of_descr(std::string_view descr) {
  for (DType t : {DType::u8, DType::i32, DType::f16, DType::f32}) {
    if (descr_of(t) == descr) return t;
  }
  return std::nullopt;
}

/// Everything before the data of a C-ordered array of `shape` and `descr`: version 1.0 when the header fits
/// its 16-bit length, else 2.0. Its size is a multiple of kAlignment.
inline std::string encode_header(std::string_view descr, const std::vector<std::int64_t>& shape) {
  std::string dict = "{'descr': '" + std::string(descr) + "', 'fortran_order': False, 'shape': (";
  for (std::size_t i = 0; i < shape.size(); ++i) dict += (i ? ", " : "") + std::to_string(shape[i]);
  if (shape.size() == 1) dict += ',';  // "(5,)": Python's one-element tuple
  dict += "), }";
  for (int major : {1, 2}) {
    const std::size_t prefix = major == 1 ? 10 : 12;
    const std::size_t unpadded = prefix + dict.size() + 1;  // + '\n'
    const std::size_t total = (unpadded + kAlignment - 1) / kAlignment * kAlignment;
    const std::size_t header_len = total - prefix;
    if (major == 1 && header_len > 0xFFFF) continue;
    std::string out(kMagic, sizeof kMagic);
    out += static_cast<char>(major);
    out += '\0';
    for (std::size_t i = 0; i < prefix - 8; ++i) out += static_cast<char>((header_len >> (8 * i)) & 0xFF);
    out += dict;
    out.append(header_len - dict.size() - 1, ' ');
    out += '\n';
    return out;
  }
  return {};  // unreachable: a 2.0 header holds 4 GiB
}

}  // namespace feedgraph::detail::npy
