// A program's own stages, registered by name and used from a pipeline file with the built-ins' strictness.
#include "../graph/graph_test_util.hpp"

using namespace feedgraph;

namespace {

/// Adds `offset` to every float32 element, in place.
class AddOffset final : public Transform {
 public:
  explicit AddOffset(float offset) : offset_(offset) {}
  bool in_place() const override { return true; }
  void apply(const SampleView& in, SampleOut& out, const SampleContext&) const override {
    const std::span<std::byte> dst = out.allocate(in.layout);
    auto* f = reinterpret_cast<float*>(dst.data());
    for (std::size_t i = 0; i < dst.size() / sizeof(float); ++i) f[i] += offset_;
  }

 private:
  float offset_;
};

/// Every sample is `value` everywhere; the label is the id.
class Constant final : public Source {
 public:
  Constant(std::int64_t samples, float value) : samples_(samples), value_(value) {}
  SampleLayout layout() const override { return {{4}, DType::f32}; }
  std::int64_t size() const override { return samples_; }
  std::int64_t label(std::int64_t id) const override { return id; }
  void read(std::int64_t, SampleOut& out) const override {
    const std::span<std::byte> dst = out.allocate(layout());
    auto* f = reinterpret_cast<float*>(dst.data());
    for (int i = 0; i < 4; ++i) f[i] = value_;
  }

 private:
  std::int64_t samples_;
  float value_;
};

void register_test_stages() {
  register_transform("test_add_offset", [](const StageOptions& o, const StageContext& ctx) {
    if (ctx.layout.dtype != DType::f32) o.fail("", "test_add_offset needs float32 samples");
    return std::make_unique<AddOffset>(static_cast<float>(o.number("offset", 1.0, {.min = -100, .max = 100})));
  });
  register_source("test_constant", [](const StageOptions& o, const StageContext&) {
    return std::make_unique<Constant>(o.integer("samples", 8, {.min = 1}), static_cast<float>(o.number("value", 0.0)));
  });
}

std::string pipeline_text(const std::string& transform) {
  return "name: custom\ndevice: host\nbatch_size: 4\nepochs: 1\n"
         "dataset: {source: test_constant, samples: 10, value: 2.5}\n"
         "transforms:\n  - " + transform + "\n"
         "watchdog_s: 20\n";
}

}  // namespace

TEST_SUITE("embed") {

TEST_CASE("stages registered in code run by name from a pipeline file") {
  register_test_stages();
  Pipeline pipeline = Pipeline::from_yaml(pipeline_text("test_add_offset: {offset: 0.5}"), "custom.yaml");
  std::int64_t samples = 0;
  for (DeviceBatch& batch : pipeline.batches()) {
    const float* f = batch.data_as<float>();
    for (std::int64_t i = 0; i < batch.samples() * 4; ++i) CHECK(f[i] == 3.0f);
    for (std::int64_t j = 0; j < batch.samples(); ++j) CHECK(batch.host_labels()[static_cast<std::size_t>(j)] == batch.sample_ids()[static_cast<std::size_t>(j)]);
    samples += batch.samples();
  }
  CHECK(samples == 10);
  const auto names = transform_names();
  CHECK(std::find(names.begin(), names.end(), "test_add_offset") != names.end());
}

TEST_CASE("a registered stage's options are checked with file line and column like the built-ins") {
  register_test_stages();
  // An option the factory never asked for.
  CHECK_THROWS_WITH_AS(Pipeline::from_yaml(pipeline_text("test_add_offset: {offset: 0.5, scale: 2}"), "custom.yaml"),
                       doctest::Contains("custom.yaml:7:36:"), ConfigError);
  CHECK_THROWS_WITH_AS(Pipeline::from_yaml(pipeline_text("test_add_offset: {offset: 0.5, scale: 2}"), "custom.yaml"),
                       doctest::Contains("scale"), ConfigError);
  // Out of its declared range.
  CHECK_THROWS_WITH_AS(Pipeline::from_yaml(pipeline_text("test_add_offset: {offset: 500}"), "custom.yaml"),
                       doctest::Contains("transforms[0].test_add_offset.offset"), ConfigError);
  // A name nobody registered lists the known ones.
  CHECK_THROWS_WITH_AS(Pipeline::from_yaml(pipeline_text("test_nobody"), "custom.yaml"),
                       doctest::Contains("test_add_offset"), ConfigError);
}

}  // TEST_SUITE("embed")
