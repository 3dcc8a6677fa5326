#pragma once
// Reading the header of a NumPy .npy file (format 1.0 and 2.0; npy_format.hpp) from bytes, for `source: npy`
// (stages/read/npy.cpp) and its fuzz target (tests/fuzz/). The header's dict is parsed as the Python literal
// it is, not searched for substrings, so that a header we do not understand is an error rather than a guess.
//
// Everything here reads untrusted bytes and throws feedgraph::Error naming `file` for anything it does not
// accept; no other exception leaves it.
//
//   std::byte prefix[npy::kPrefixBytes];                          // the file's first bytes
//   auto offset = npy::data_offset(prefix, file_size, path);      // how much of the file is header
//   auto header = npy::parse_header(first_offset_bytes, file_size, path);
//   auto array  = npy::sample_array(header, file_size, path);     // layout, sample count, checked sizes
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "feedgraph/layout.hpp"

namespace feedgraph::detail::npy {

/// The magic, the version and the header length: enough to know where the data start.
inline constexpr std::size_t kPrefixBytes = 12;
/// The largest header read. NumPy's own limit is 10000 bytes unless told otherwise; anything near this is
/// not a header but a corrupt length.
inline constexpr std::uint64_t kMaxHeaderBytes = std::uint64_t{1} << 20;

struct Header {
  std::string descr;                ///< e.g. "<f4"; the literal text when the descr is not a string (a record dtype)
  bool fortran_order = false;
  std::vector<std::int64_t> shape;  ///< every entry >= 0
  std::uint64_t data_offset = 0;    ///< where the array's bytes start
};

/// Where the array's data start (the prefix and the header together), from the file's first bytes
/// (`start`: kPrefixBytes of them, fewer when the file is shorter). Throws Error naming `file` when it is
/// not a .npy file (magic), has a version other than 1.0 or 2.0, or a header longer than kMaxHeaderBytes or
/// than the file (`file_size` bytes).
std::uint64_t data_offset(std::span<const std::byte> start, std::uint64_t file_size, std::string_view file);

/// Parses the header from the file's first bytes (`start`: at least data_offset() of them, or the whole file
/// when it is shorter). Throws Error naming `file` for what data_offset() rejects, and for a header that is
/// not a dict of exactly 'descr', 'fortran_order' and 'shape' with values of the right types.
Header parse_header(std::span<const std::byte> start, std::uint64_t file_size, std::string_view file);

/// A .npy file as `source: npy` reads it: axis 0 indexes samples, the other axes are each sample's shape.
struct SampleArray {
  SampleLayout layout;           ///< one sample
  std::int64_t samples = 0;      ///< the array's axis 0
  std::uint64_t data_offset = 0;
  std::uint64_t data_bytes = 0;  ///< samples × layout.bytes(), which is exactly what the file holds after the header
};

/// Checks that `h` describes a C-ordered array of a dtype feedgraph reads (|u1, <i4, <f2, <f4), with at least
/// one axis and samples that hold bytes, whose data fill the rest of the file exactly. Throws Error naming
/// `file` otherwise.
SampleArray sample_array(const Header& h, std::uint64_t file_size, std::string_view file);

/// Checks that the file (`file_size` bytes) holds exactly `bytes` of data after the header: fewer is a
/// truncated file, more is an error too. Throws Error naming `file`.
void check_data_length(const Header& h, std::uint64_t bytes, std::uint64_t file_size, std::string_view file);

}  // namespace feedgraph::detail::npy
