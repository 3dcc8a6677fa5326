#pragma once
// splitmix64 (Steele, Lea and Flood): the one mixing function behind every seeded draw in feedgraph, the
// synthetic source's content, the per-epoch shuffle, the random transforms and make-dataset's images, so
// that they share one definition. Tiny state, passes BigCrush, and free to seed per sample.
//
//   std::uint64_t key = feedgraph::splitmix64(seed ^ id);      // a hash of one value
//   std::uint64_t state = key;
//   double u = (feedgraph::splitmix64_next(state) >> 11) * 0x1.0p-53;   // a stream of draws
#include <cstdint>

namespace feedgraph {

inline constexpr std::uint64_t kSplitmixGamma = 0x9E3779B97F4A7C15ULL;

/// The output function: a bijection of 64-bit words that mixes every input bit into every output bit.
constexpr std::uint64_t splitmix64_finalize(std::uint64_t z) noexcept {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/// splitmix64 used as a hash of one value (the first output of a generator seeded with `x`).
constexpr std::uint64_t splitmix64(std::uint64_t x) noexcept { return splitmix64_finalize(x + kSplitmixGamma); }

/// One step of the generator: advances `state` and returns the next output.
constexpr std::uint64_t splitmix64_next(std::uint64_t& state) noexcept {
  state += kSplitmixGamma;
  return splitmix64_finalize(state);
}

}  // namespace feedgraph
