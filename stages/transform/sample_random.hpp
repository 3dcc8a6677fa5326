#pragma once
// The random numbers of a random transform, drawn from (seed, epoch, sample id, which transform) alone: a
// sample gets the same crop and flip whichever thread transforms it and whenever, so batches are identical at
// any concurrency, and a fresh draw each epoch.
//
//   const SampleRandom::Salt salt = SampleRandom::salt(options, "random_flip");   // in the factory
//   SampleRandom rng(ctx, salt_);                                                  // in apply()
//   if (rng.uniform() < p_) flip(...);
#include <cstdint>
#include <string_view>

#include "feedgraph/options.hpp"
#include "feedgraph/splitmix.hpp"
#include "feedgraph/stage.hpp"

namespace feedgraph::stages {

class SampleRandom {
 public:
  using Salt = std::uint64_t;

  /// A per-transform salt from its name and its place in the file (`transforms[2]`): two random transforms
  /// of one pipeline, even of the same kind, draw independent numbers. `device_transforms[2]` draws as
  /// `transforms[2]`: a file that moves decode_jpeg and the crops after it to the device keeps its crops.
  static Salt salt(const StageOptions& options, std::string_view name) {
    std::uint64_t h = 0xCBF29CE484222325ULL;  // FNV-1a: stable across runs and platforms, unlike std::hash
    auto add = [&h](std::string_view s) {
      for (unsigned char c : s) h = (h ^ c) * 0x100000001B3ULL;
      h = (h ^ 0xFF) * 0x100000001B3ULL;  // a separator, so ("ab", "c") and ("a", "bc") differ
    };
    add(name);
    std::string_view path = options.path();
    if (path.starts_with("device_")) path.remove_prefix(7);
    add(path);
    return h;
  }

  SampleRandom(const SampleContext& ctx, Salt salt)
      : state_(splitmix64(splitmix64(splitmix64(ctx.seed ^ salt) ^ static_cast<std::uint64_t>(ctx.epoch)) ^
                          static_cast<std::uint64_t>(ctx.id))) {}

  /// splitmix64 (feedgraph/splitmix.hpp): a fresh stream per sample costs nothing to seed.
  std::uint64_t next() { return splitmix64_next(state_); }
  /// Uniform in [0, 1), 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  /// Uniform integer in [lo, hi], both inclusive. The modulo's bias is below span / 2^64: nothing for image
  /// sizes.
  std::int64_t integer(std::int64_t lo, std::int64_t hi) {
    const std::uint64_t span = static_cast<std::uint64_t>(hi - lo) + 1;
    return lo + static_cast<std::int64_t>(next() % span);
  }

 private:
  std::uint64_t state_;
};

}  // namespace feedgraph::stages
