#pragma once
// Reading the header of a NumPy .npy file (format 1.0 and 2.0; engine/src/dataset/npy_format.hpp). The
// header's dict is parsed as the Python literal it is, not searched for substrings, so that a header we do
// not understand is an error rather than a guess.
#include <cstdint>
#include <string>
#include <vector>

namespace feedgraph::stages {

class DataFile;

struct NpyHeader {
  std::string descr;                ///< e.g. "<f4"; the literal text when the descr is not a string (a record dtype)
  bool fortran_order = false;
  std::vector<std::int64_t> shape;  ///< every entry >= 0
  std::uint64_t data_offset = 0;    ///< where the array's bytes start
};

/// Reads and parses the header at the start of `file`. Throws Error naming the file when it is not a .npy
/// file (magic), has a version other than 1.0 or 2.0, or a header that is not a dict of exactly 'descr',
/// 'fortran_order' and 'shape' with values of the right types.
NpyHeader read_npy_header(const DataFile& file);

}  // namespace feedgraph::stages
