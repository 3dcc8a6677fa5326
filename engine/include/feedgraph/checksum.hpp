#pragma once
// The batch checksum that `verify` compares across the copy.
//
// A batch is `samples` samples of `sample_bytes` each. Each sample is cut into 8-byte little-endian words,
// the last one zero-padded; word w of sample j has the global index g = j * ceil(sample_bytes / 8) + w.
// The checksum is the sum, modulo 2^64, of mix(word ^ (g * 0x9E3779B97F4A7C15)) over all words, where
// mix is the splitmix64 finalizer. A sum is order-independent, so parallel threads (or GPU blocks) may add
// parts in any order; the position term makes a swapped sample or word change the result. A ragged batch
// (samples of different sizes, packed at 8-byte boundaries) gives word w of a sample at byte offset o the
// index o / 8 + w; the padding between samples is not summed.
//
//   // The sum the engine compares for a batch in host memory (DeviceBatch on the host backend):
//   std::uint64_t sum = feedgraph::batch_checksum({batch.data(), batch.size_bytes()},
//                                                 batch.sample_layout()->bytes());
#include <cstddef>
#include <cstdint>
#include <span>

namespace feedgraph {

/// The checksum of one sample placed at position `index` in its batch.
std::uint64_t sample_checksum(std::span<const std::byte> sample, std::int64_t index) noexcept;

/// The checksum of bytes whose first word has the global index `first_word`: a sample of a ragged batch
/// (encoded files packed, each starting at an 8-byte boundary) is checksummed as the words it covers,
/// first_word = its offset / 8. sample_checksum(s, j) is words_checksum(s, j * ceil(s.size() / 8)).
std::uint64_t words_checksum(std::span<const std::byte> bytes, std::uint64_t first_word) noexcept;

/// The checksum of a whole batch (the sum of its samples' checksums).
std::uint64_t batch_checksum(std::span<const std::byte> batch, std::size_t sample_bytes) noexcept;

}  // namespace feedgraph
