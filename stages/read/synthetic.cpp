// `source: synthetic` — samples generated from (seed, sample id), with an optional per-sample cost standing
// in for storage latency (`cost.io_us`, a sleep) and decode work (`cost.cpu_us`, a spin).
//
// The content is a pure function of (seed, id), so every concurrency and every run yields the same batches,
// and a test can recompute what any batch must contain.
#include <chrono>
#include <cstring>
#include <thread>

#include "feedgraph/stage.hpp"

namespace feedgraph::stages {
namespace {

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

/// A cheap 32-bit hash of (key, i), written so that the compiler vectorizes the fill loop.
inline std::uint32_t word_hash(std::uint32_t key, std::uint32_t i) {
  std::uint32_t h = key ^ (i * 0x9E3779B1u);
  h = ((h >> 16) ^ h) * 0x45D9F3Bu;
  h = ((h >> 16) ^ h) * 0x45D9F3Bu;
  return (h >> 16) ^ h;
}

class SyntheticSource final : public Source {
 public:
  SyntheticSource(SampleLayout layout, std::int64_t samples, std::uint64_t seed, double io_us, double cpu_us)
      : layout_(std::move(layout)), samples_(samples), seed_(seed), io_us_(io_us), cpu_us_(cpu_us) {}

  SampleLayout layout() const override { return layout_; }
  std::int64_t size() const override { return samples_; }
  std::uint64_t seed() const override { return seed_; }

  void read(std::int64_t id, std::span<std::byte> out) const override {
    const auto key = static_cast<std::uint32_t>(splitmix64(seed_ ^ splitmix64(static_cast<std::uint64_t>(id))));
    const std::size_t words = out.size() / 4;
    auto* dst = out.data();
    switch (layout_.dtype) {
      case DType::f32:  // uniform in [0, 1): a random mantissa under the exponent of 1.0, minus 1
        for (std::size_t i = 0; i < words; ++i) {
          const std::uint32_t bits = 0x3F800000u | (word_hash(key, static_cast<std::uint32_t>(i)) >> 9);
          float v;
          std::memcpy(&v, &bits, 4);
          v -= 1.0f;
          std::memcpy(dst + 4 * i, &v, 4);
        }
        break;
      case DType::f16:  // uniform in [1, 2): two halves per word
        for (std::size_t i = 0; i < words; ++i) {
          const std::uint32_t h = word_hash(key, static_cast<std::uint32_t>(i));
          const std::uint32_t bits = 0x3C003C00u | (h & 0x03FF03FFu);
          std::memcpy(dst + 4 * i, &bits, 4);
        }
        break;
      case DType::i32:
      case DType::u8:
        for (std::size_t i = 0; i < words; ++i) {
          const std::uint32_t h = word_hash(key, static_cast<std::uint32_t>(i));
          std::memcpy(dst + 4 * i, &h, 4);
        }
        break;
    }
    for (std::size_t i = words * 4; i < out.size(); ++i)
      out[i] = static_cast<std::byte>(word_hash(key, static_cast<std::uint32_t>(i)));
    spend_cost();
  }

 private:
  void spend_cost() const {
    using namespace std::chrono;
    if (io_us_ > 0) std::this_thread::sleep_for(duration<double, std::micro>(io_us_));
    if (cpu_us_ > 0) {
      // A spin, not a sleep: it keeps a core busy the way decoding would.
      const auto until = steady_clock::now() + duration_cast<steady_clock::duration>(duration<double, std::micro>(cpu_us_));
      while (steady_clock::now() < until) {
      }
    }
  }

  SampleLayout layout_;
  std::int64_t samples_;
  std::uint64_t seed_;
  double io_us_, cpu_us_;
};

}  // namespace

std::unique_ptr<Source> make_synthetic(const StageOptions& o, const StageContext&) {
  const auto samples = o.integer("samples", 1024, {.min = 1});
  const auto sample = o.child("sample");
  SampleLayout layout;
  layout.shape = sample.integers("shape", {3, 224, 224}, {.min = 1});
  const auto dtype = sample.choice("dtype", "float32", {"uint8", "int32", "float16", "float32"});
  layout.dtype = *parse_dtype(dtype);
  const auto cost = o.child("cost");
  const double io_us = cost.number("io_us", 0, {.min = 0, .max = 1e7});
  const double cpu_us = cost.number("cpu_us", 0, {.min = 0, .max = 1e7});
  const auto seed = o.integer("seed", 0, {.min = 0});
  return std::make_unique<SyntheticSource>(std::move(layout), samples, static_cast<std::uint64_t>(seed), io_us, cpu_us);
}

}  // namespace feedgraph::stages
