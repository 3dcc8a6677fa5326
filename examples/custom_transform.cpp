// A transform of the program's own, registered by name and used from a pipeline file.
//
//   feedgraph_example_custom [pipeline.yaml] [key=value ...]
#include <feedgraph/feedgraph.hpp>

#include <algorithm>
#include <cstdio>

/// Scales every uint8 value by `factor`, saturating at 255. Element-wise, so it runs in place.
class Brightness final : public feedgraph::Transform {
 public:
  explicit Brightness(float factor) : factor_(factor) {}
  bool in_place() const override { return true; }
  void apply(const feedgraph::SampleView& in, feedgraph::SampleOut& out, const feedgraph::SampleContext&) const override {
    const std::span<std::byte> px = out.allocate(in.layout);  // the input's own memory (in_place)
    for (std::byte& b : px)
      b = static_cast<std::byte>(std::min(255.0f, static_cast<float>(std::to_integer<int>(b)) * factor_ + 0.5f));
  }

 private:
  float factor_;
};

int main(int argc, char** argv) try {
  // Before any pipeline names it. The factory reads its options through StageOptions: a key it does not ask
  // for, or a value out of range, is a ConfigError at the file's line and column.
  feedgraph::register_transform("brightness", [](const feedgraph::StageOptions& o, const feedgraph::StageContext& ctx) {
    if (ctx.layout.dtype != feedgraph::DType::u8) o.fail("", "brightness works on uint8 samples, not " + ctx.layout.describe());
    return std::make_unique<Brightness>(static_cast<float>(o.number("factor", 1.0, {.min = 0, .max = 16})));
  });

  const std::string path = argc > 1 && *argv[1] ? argv[1] : FEEDGRAPH_EXAMPLES_DIR "/custom_transform.yaml";
  auto pipeline = feedgraph::Pipeline::from_file(path, std::vector<std::string>(argv + std::min(argc, 2), argv + argc));
  const feedgraph::RunStats stats = pipeline.run();  // the file's compute stage (checksum, verified)
  std::printf("%s: %lld samples of %s, %.0f samples/s\n", stats.graph.c_str(), static_cast<long long>(stats.samples),
              pipeline.plan().layout.describe().c_str(), stats.samples_per_s);
  return stats.samples == pipeline.plan().samples ? 0 : 1;
} catch (const feedgraph::Error& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}
