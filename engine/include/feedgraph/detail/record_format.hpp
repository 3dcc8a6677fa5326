#pragma once
// The feedgraph record file (`*.rec`): fixed-size records after a small header. Shared by the reader
// (`source: records`, stages/read/records.cpp) and the writer (`make-dataset --kind records`,
// write_records.cpp), so that the two cannot disagree.
//
//   offset  size     field
//   0       8        magic "FGRECORD"
//   8       4        version: 1 (u32)
//   12      4        dtype (u32): 0 uint8, 1 int32, 2 float16, 3 float32
//   16      8        record count (u64)
//   24      8        flags (u64): bit 0 set = every record starts with its label; other bits must be 0
//   32      8        data offset (u64): where record 0 starts; a multiple of 64 (the writer uses 4096)
//   40      8        ndim (u64), 0..32 (0: each sample is one scalar)
//   48      8*ndim   shape (u64 each, every entry >= 1), C order
//   ...              zero bytes up to the data offset
//   data offset      records, back to back: [int64 label, when flagged] then the sample's bytes
//
// Every integer is little-endian; so are the samples' elements. Record i starts at
// `data_offset + i * record_bytes`, with record_bytes = (8 if labelled) + prod(shape) * dtype size. The file
// ends exactly after the last record: a shorter file is truncated, a longer one has a wrong count; both are
// errors. A fixed, aligned start and fixed-size records make any sample one pread at a computed offset, from
// any thread, without an index.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "feedgraph/layout.hpp"

namespace feedgraph::detail::records {

static_assert(std::endian::native == std::endian::little,
              "record files hold little-endian samples; a big-endian host would have to swap them");

inline constexpr char kMagic[8] = {'F', 'G', 'R', 'E', 'C', 'O', 'R', 'D'};
inline constexpr std::uint32_t kVersion = 1;
inline constexpr std::uint64_t kFlagLabels = 1;
inline constexpr std::uint64_t kLabelBytes = 8;
/// Where the writer starts the records: a page, so that a reader may map or O_DIRECT-read them.
inline constexpr std::uint64_t kWriterDataOffset = 4096;
/// What the reader demands of a data offset: cache-line aligned.
inline constexpr std::uint64_t kDataAlignment = 64;
inline constexpr std::uint64_t kMaxDims = 32;
inline constexpr std::size_t kFixedHeaderBytes = 48;
/// The largest file the header may describe (4 EiB): sizes below it never wrap around when added.
inline constexpr std::uint64_t kMaxFileBytes = std::uint64_t{1} << 62;
/// Enough of the file's start to decode any valid header.
inline constexpr std::size_t kMaxHeaderBytes = kFixedHeaderBytes + 8 * kMaxDims;

/// The on-disk code of each dtype; written out rather than cast from the enum so that reordering DType
/// cannot change the format.
inline std::uint32_t dtype_code(DType t) {
  switch (t) {
    case DType::u8: return 0;
    case DType::i32: return 1;
    case DType::f16: return 2;
    case DType::f32: return 3;
  }
  return 0xFFFFFFFFu;
}

inline std::optional<DType> dtype_from_code(std::uint32_t code) {
  for (DType t : {DType::u8, DType::i32, DType::f16, DType::f32}) {
    if (dtype_code(t) == code) return t;
  }
  return std::nullopt;
}

struct RecordHeader {
  SampleLayout layout;
  std::uint64_t count = 0;
  bool labels = false;
  std::uint64_t data_offset = kWriterDataOffset;

  std::uint64_t sample_bytes() const { return layout.bytes(); }
  std::uint64_t record_bytes() const { return sample_bytes() + (labels ? kLabelBytes : 0); }
};

inline void put_u64(std::byte* at, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) at[i] = static_cast<std::byte>(v >> (8 * i));
}
inline std::uint64_t get_u64(const std::byte* at) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(at[i]) << (8 * i);
  return v;
}
inline void put_u32(std::byte* at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) at[i] = static_cast<std::byte>(v >> (8 * i));
}
inline std::uint32_t get_u32(const std::byte* at) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(at[i]) << (8 * i);
  return v;
}

/// The header's bytes, zero-padded to `h.data_offset` (which must leave room for them).
inline std::vector<std::byte> encode_header(const RecordHeader& h) {
  std::vector<std::byte> out(h.data_offset, std::byte{0});
  std::memcpy(out.data(), kMagic, sizeof kMagic);
  put_u32(&out[8], kVersion);
  put_u32(&out[12], dtype_code(h.layout.dtype));
  put_u64(&out[16], h.count);
  put_u64(&out[24], h.labels ? kFlagLabels : 0);
  put_u64(&out[32], h.data_offset);
  put_u64(&out[40], h.layout.shape.size());
  for (std::size_t i = 0; i < h.layout.shape.size(); ++i)
    put_u64(&out[kFixedHeaderBytes + 8 * i], static_cast<std::uint64_t>(h.layout.shape[i]));
  return out;
}

/// A decoded header, or why the bytes are not one (`error` set, a sentence without the file name).
struct DecodedHeader {
  RecordHeader header;
  std::string error;
};

/// Decode the header from the file's first bytes (`start`: up to kMaxHeaderBytes of them, fewer when the
/// file is shorter). Checks the header on its own; the caller checks it against the file's size.
inline DecodedHeader decode_header(std::span<const std::byte> start) {
  DecodedHeader d;
  if (start.size() < sizeof kMagic || std::memcmp(start.data(), kMagic, sizeof kMagic) != 0) {
    d.error = "bad magic: not a feedgraph record file (it does not start with \"FGRECORD\")";
    return d;
  }
  if (start.size() < kFixedHeaderBytes) {
    d.error = "the file ends inside its header (" + std::to_string(start.size()) + " bytes): truncated";
    return d;
  }
  const std::uint32_t version = get_u32(&start[8]);
  if (version != kVersion) {
    d.error = "unsupported record file version " + std::to_string(version) + " (this build reads version " +
              std::to_string(kVersion) + ")";
    return d;
  }
  const std::uint32_t code = get_u32(&start[12]);
  const auto dtype = dtype_from_code(code);
  if (!dtype) {
    d.error = "unknown dtype code " + std::to_string(code) + " (0 uint8, 1 int32, 2 float16, 3 float32)";
    return d;
  }
  RecordHeader& h = d.header;
  h.layout.dtype = *dtype;
  h.count = get_u64(&start[16]);
  const std::uint64_t flags = get_u64(&start[24]);
  if ((flags & ~kFlagLabels) != 0) {
    d.error = "unknown flags " + std::to_string(flags) + " in the header (only bit 0, labels, is defined)";
    return d;
  }
  h.labels = (flags & kFlagLabels) != 0;
  h.data_offset = get_u64(&start[32]);
  const std::uint64_t ndim = get_u64(&start[40]);
  if (ndim > kMaxDims) {
    d.error = "ndim " + std::to_string(ndim) + " in the header is over " + std::to_string(kMaxDims);
    return d;
  }
  if (start.size() < kFixedHeaderBytes + 8 * ndim) {
    d.error = "the file ends inside its header: truncated";
    return d;
  }
  // Sizes are checked for overflow here, so that no later product can wrap around to a small number.
  std::uint64_t sample_bytes = dtype_size(h.layout.dtype);
  for (std::uint64_t i = 0; i < ndim; ++i) {
    const std::uint64_t dim = get_u64(&start[kFixedHeaderBytes + 8 * i]);
    if (dim == 0 || dim > (std::uint64_t{1} << 40) || __builtin_mul_overflow(sample_bytes, dim, &sample_bytes) ||
        sample_bytes > (std::uint64_t{1} << 40)) {
      d.error = "shape entry " + std::to_string(i) + " (" + std::to_string(dim) + ") is 0 or makes a sample too large";
      return d;
    }
    h.layout.shape.push_back(static_cast<std::int64_t>(dim));
  }
  if (h.data_offset < kFixedHeaderBytes + 8 * ndim || h.data_offset % kDataAlignment != 0) {
    d.error = "data offset " + std::to_string(h.data_offset) + " is inside the header or not a multiple of " +
              std::to_string(kDataAlignment);
    return d;
  }
  // The file's end, data offset + count * record bytes, is bounded too: it is compared with the file's size,
  // and a sum that wrapped around would match a short file.
  if (h.data_offset > kMaxFileBytes) {
    d.error = "data offset " + std::to_string(h.data_offset) + " is impossibly large";
    return d;
  }
  std::uint64_t total = 0;
  if (__builtin_mul_overflow(h.count, h.record_bytes(), &total) || total > kMaxFileBytes - h.data_offset) {
    d.error = "record count " + std::to_string(h.count) + " is impossibly large";
    return d;
  }
  return d;
}

/// Why a file of `file_size` bytes does not hold exactly what `h` says (a sentence without the file name), or
/// "" when it does. A shorter file is truncated; a longer one has a wrong count or was appended to.
inline std::string size_error(const RecordHeader& h, std::uint64_t file_size) {
  const std::uint64_t expected = h.data_offset + h.count * h.record_bytes();
  if (file_size < expected) {
    const std::uint64_t whole = file_size < h.data_offset ? 0 : (file_size - h.data_offset) / h.record_bytes();
    return "the header says " + std::to_string(h.count) + " records of " + std::to_string(h.record_bytes()) +
           " bytes from offset " + std::to_string(h.data_offset) + ", the file holds " + std::to_string(whole) +
           " whole records (" + std::to_string(file_size) + " bytes): truncated";
  }
  if (file_size > expected) {
    return std::to_string(file_size - expected) + " bytes after the last of the header's " + std::to_string(h.count) +
           " records of " + std::to_string(h.record_bytes()) + " bytes: the record count is wrong or the file was "
           "appended to";
  }
  return {};
}

/// Decode the header from the file's first bytes (`start`, as for decode_header) and check it against the
/// file's size: what the records source accepts of a file, or why not (`error`).
inline DecodedHeader decode_file(std::span<const std::byte> start, std::uint64_t file_size) {
  DecodedHeader d = decode_header(start);
  if (d.error.empty()) d.error = size_error(d.header, file_size);
  return d;
}

}  // namespace feedgraph::detail::records
