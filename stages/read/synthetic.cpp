// `source: synthetic` — samples generated from (seed, sample id), with an optional per-sample cost standing
// in for storage latency (`cost.io_us`, a sleep) and decode work (`cost.cpu_us`, a spin).
//
// The content is a pure function of (seed, id), so every concurrency and every run yields the same batches,
// and a test can recompute what any batch must contain.
#include <chrono>
#include <cstring>
#include <thread>

#include "feedgraph/splitmix.hpp"
#include "feedgraph/stage.hpp"
#include "feedgraph/detail/vector_clones.hpp"

namespace feedgraph::stages {
namespace {

/// A cheap 32-bit hash of (key, i), written so that the compiler vectorizes the fill loops.
inline std::uint32_t word_hash(std::uint32_t key, std::uint32_t i) {
  std::uint32_t h = key ^ (i * 0x9E3779B1u);
  h = ((h >> 16) ^ h) * 0x45D9F3Bu;
  h = ((h >> 16) ^ h) * 0x45D9F3Bu;
  return (h >> 16) ^ h;
}

// The fill loops are free functions over raw pointers, cloned for AVX-512 and AVX2: inside the member
// function gcc kept them scalar (1.7 GB/s); here they vectorize (about 10x that on one core).

/// Uniform float32 in [0, 1): a random mantissa under the exponent of 1.0, minus 1.
FEEDGRAPH_VECTOR_CLONES
void fill_f32(std::uint32_t key, float* __restrict dst, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t bits = 0x3F800000u | (word_hash(key, static_cast<std::uint32_t>(i)) >> 9);
    float v;
    std::memcpy(&v, &bits, 4);
    dst[i] = v - 1.0f;
  }
}

/// Random 32-bit words; `mask`/`bits` shape them (two float16 halves in [1, 2), or raw bits).
FEEDGRAPH_VECTOR_CLONES
void fill_u32(std::uint32_t key, std::uint32_t* __restrict dst, std::size_t n, std::uint32_t mask,
              std::uint32_t bits) {
  for (std::size_t i = 0; i < n; ++i) dst[i] = bits | (word_hash(key, static_cast<std::uint32_t>(i)) & mask);
}

class SyntheticSource final : public Source {
 public:
  SyntheticSource(SampleLayout layout, std::int64_t samples, std::uint64_t seed, double io_us, double cpu_us,
                  std::int64_t classes)
      : layout_(std::move(layout)), samples_(samples), seed_(seed), io_us_(io_us), cpu_us_(cpu_us),
        classes_(classes) {}

  SampleLayout layout() const override { return layout_; }
  std::int64_t size() const override { return samples_; }
  std::uint64_t seed() const override { return seed_; }

  std::int64_t label(std::int64_t id) const override { return classes_ > 0 ? id % classes_ : 0; }
  bool read_may_sleep() const override { return io_us_ > 0; }

  void read(std::int64_t id, SampleOut& sink) const override {
    const std::span<std::byte> out = sink.allocate(layout_);
    const auto key = static_cast<std::uint32_t>(splitmix64(seed_ ^ splitmix64(static_cast<std::uint64_t>(id))));
    const std::size_t words = out.size() / 4;
    // Sample buffers are 4-byte aligned (whole samples of 4-byte words sit at multiples of 4 in a batch);
    // a layout of 1- or 2-byte elements may not be, so those go through a 4-byte-aligned word loop only
    // when the pointer allows it.
    auto* dst = out.data();
    const bool aligned = reinterpret_cast<std::uintptr_t>(dst) % 4 == 0;
    if (layout_.dtype == DType::f32 && aligned) {
      fill_f32(key, reinterpret_cast<float*>(dst), words);
    } else if (aligned) {
      const bool half = layout_.dtype == DType::f16;
      fill_u32(key, reinterpret_cast<std::uint32_t*>(dst), words, half ? 0x03FF03FFu : ~0u, half ? 0x3C003C00u : 0u);
    } else {
      for (std::size_t i = 0; i < words; ++i) {
        std::uint32_t h = word_hash(key, static_cast<std::uint32_t>(i));
        if (layout_.dtype == DType::f16) h = 0x3C003C00u | (h & 0x03FF03FFu);
        if (layout_.dtype == DType::f32) {  // the same values fill_f32 writes
          float v;
          const std::uint32_t bits = 0x3F800000u | (h >> 9);
          std::memcpy(&v, &bits, 4);
          v -= 1.0f;
          std::memcpy(&h, &v, 4);
        }
        std::memcpy(dst + 4 * i, &h, 4);
      }
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
  std::int64_t classes_;
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
  // Labels cycle through `classes` (id % classes), so a test can tell which label each sample must carry.
  const auto classes = o.integer("classes", 0, {.min = 0});
  return std::make_unique<SyntheticSource>(std::move(layout), samples, static_cast<std::uint64_t>(seed), io_us, cpu_us,
                                           classes);
}

}  // namespace feedgraph::stages
