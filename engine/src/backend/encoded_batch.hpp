#pragma once
// A ragged batch: encoded files (JPEG) packed one after another, each at an 8-byte boundary, crossing the
// link as read, to be decoded on the device (`device_transforms: [decode_jpeg, ...]`). Beside the bytes,
// one EncodedSample per sample says where it lies and what the device makes of it: the image's size (from
// its header, read on the host) and where each output pixel comes from (the crops' and flips' draws, made on
// the host from (seed, epoch, sample id) as the host transforms make them).
#include <cstdint>

#include "feedgraph/stage.hpp"

namespace feedgraph::detail {

struct EncodedSample {
  std::uint64_t offset = 0;  ///< in the packed batch: a multiple of 8 (its checksum words start at offset / 8)
  std::uint64_t bytes = 0;   ///< the file's size
  std::int64_t height = 0, width = 0;  ///< decoded, from the header
  PixelMap map;              ///< the output's pixels in the decoded image
};

/// Where the sample after one of `bytes` bytes at `offset` starts.
constexpr std::uint64_t next_encoded_offset(std::uint64_t offset, std::uint64_t bytes) {
  return (offset + bytes + 7) & ~std::uint64_t{7};
}

}  // namespace feedgraph::detail
