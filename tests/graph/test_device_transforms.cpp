// device_transforms: cast, to_chw and normalize after the copy. The compute stage sees the transformed
// batch (and the labels); verify still compares the bytes that crossed the link.
#include <mutex>

#include "graph_test_util.hpp"

using namespace feedgraph;

namespace {

struct Seen {
  std::mutex mutex;
  std::vector<std::vector<float>> batches;
  std::vector<std::vector<std::int64_t>> labels;
  SampleLayout layout;
};
Seen& seen() {
  static Seen s;
  return s;
}

// Keeps what it was given (host backend: host memory), and writes no checksum of its own.
class Capture final : public ComputeStage {
 public:
  void launch(const ComputeLaunch& l) override {
    std::lock_guard lock(seen().mutex);
    const auto* f = reinterpret_cast<const float*>(l.batch.data);
    seen().batches.emplace_back(f, f + l.batch.bytes / 4);
    seen().labels.emplace_back(l.batch.labels, l.batch.labels + l.batch.samples);
    seen().layout = l.batch.layout;
  }
};

std::string graph(const std::string& device_transforms) {
  return "device: host\nbatch_size: 4\nepochs: 1\nwatchdog_s: 20\n"
         "dataset: {source: synthetic, samples: 10, sample: {shape: [5, 6, 3], dtype: uint8}, classes: 4}\n"
         "device_transforms: " + device_transforms + "\n"
         "compute: {kernel: test_capture}\nconcurrency: {read: 2}\n";
}

}  // namespace

TEST_SUITE_BEGIN("graph");

TEST_CASE("device transforms turn uint8 HWC into normalized float32 CHW after the copy") {
  register_compute("test_capture", [](const StageOptions&, const StageContext&) { return std::make_unique<Capture>(); });
  seen().batches.clear();
  seen().labels.clear();
  const auto spec = parse_pipeline(graph("[to_chw, {normalize: {mean: [1, 2, 3], std: [2, 4, 8]}}]"), "d.yaml");
  const auto p = plan(spec);
  CHECK(p.transfer_layout == SampleLayout{{5, 6, 3}, DType::u8});
  CHECK(p.layout == SampleLayout{{3, 5, 6}, DType::f32});
  fgtest::Deliveries d;
  const auto stats = run(spec, d.options());
  CHECK(stats.bytes_copied == 10u * 90);  // uint8 crossed the link
  for (const auto& r : d.records) CHECK(r.host_checksum == r.device_checksum);  // the crossed bytes

  auto source = detail::build_source(spec.dataset, {});
  detail::SampleBuffer raw;
  REQUIRE(seen().batches.size() == 3);
  CHECK(seen().layout == p.layout);
  const float mean[3] = {1, 2, 3}, stdev[3] = {2, 4, 8};
  for (std::size_t b = 0; b < 3; ++b) {
    for (std::size_t j = 0; j < d.ids[b].size(); ++j) {
      CHECK(seen().labels[b][j] == d.ids[b][j] % 4);
      source->read(d.ids[b][j], raw);
      const auto* px = reinterpret_cast<const std::uint8_t*>(raw.bytes().data());
      for (int c = 0; c < 3; ++c)
        for (int h = 0; h < 5; ++h)
          for (int w = 0; w < 6; ++w) {
            const float expect = (static_cast<float>(px[(h * 6 + w) * 3 + c]) - mean[c]) / stdev[c];
            CHECK(seen().batches[b][j * 90 + static_cast<std::size_t>((c * 5 + h) * 6 + w)] == doctest::Approx(expect));
          }
    }
  }
}

TEST_CASE("device transforms refuse what they cannot do naming the key") {
  CHECK_THROWS_WITH_AS(plan(parse_pipeline(graph("[blur]"), "x.yaml")), doctest::Contains("unknown device transform 'blur'"),
                       ConfigError);
  CHECK_THROWS_WITH_AS(plan(parse_pipeline(graph("[{normalize: {mean: [1, 2]}}]"), "x.yaml")),
                       doctest::Contains("device_transforms[0].normalize.mean"), ConfigError);
  CHECK_THROWS_WITH_AS(plan(parse_pipeline(graph("[to_chw, to_chw]"), "x.yaml")), doctest::Contains("already CHW"),
                       ConfigError);
}

TEST_SUITE_END();
