// `normalize: {mean, std}` — x ← (x - mean) / std over every element, in place. float32 samples only.
#include <cstring>

#include "feedgraph/stage.hpp"

namespace feedgraph::stages {
namespace {

// Cloned for AVX-512 and AVX2: the loop is memory-bound only once it is vectorized.
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
void normalize(std::byte* p, std::size_t n, float mean, float inv_std) {
  // memcpy in and out keeps this free of aliasing and alignment questions; it compiles to vector loads.
  for (std::size_t i = 0; i < n; ++i) {
    float v;
    std::memcpy(&v, p + 4 * i, 4);
    v = (v - mean) * inv_std;
    std::memcpy(p + 4 * i, &v, 4);
  }
}

class Normalize final : public Transform {
 public:
  Normalize(float mean, float inv_std) : mean_(mean), inv_std_(inv_std) {}

  bool in_place() const override { return true; }

  void apply(const SampleView& in, SampleOut& out, const SampleContext&) const override {
    // In place: `dst` is in.bytes' own memory, and the loop reads each element before writing it.
    const std::span<std::byte> dst = out.allocate(in.layout);
    normalize(dst.data(), dst.size() / 4, mean_, inv_std_);
  }

 private:
  float mean_, inv_std_;
};

}  // namespace

std::unique_ptr<Transform> make_normalize(const StageOptions& o, const StageContext& ctx) {
  const double mean = o.number("mean", 0.0);
  const double std_dev = o.number("std", 1.0, {.greater_than = 0.0});
  if (ctx.layout.dtype != DType::f32)
    o.fail("", "normalize needs float32 samples, the source gives " + std::string(dtype_name(ctx.layout.dtype)));
  return std::make_unique<Normalize>(static_cast<float>(mean), static_cast<float>(1.0 / std_dev));
}

}  // namespace feedgraph::stages
