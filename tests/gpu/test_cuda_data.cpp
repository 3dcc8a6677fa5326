// Real-data paths on a real GPU: device transforms (the fused kernel against the host's arithmetic), labels
// in device memory, and batches copied straight out of a page-locked dataset cache. Label `gpu`.
#include <cuda_runtime_api.h>

#include <cstring>
#include <mutex>

#include "../graph/graph_test_util.hpp"

using namespace feedgraph;

namespace {

// Copies each batch (and its labels) back to the host on the compute stream, for the test to compare.
class DeviceCapture final : public ComputeStage {
 public:
  struct Batch {
    std::vector<float> values;
    std::vector<std::int64_t> labels;
  };
  static std::vector<Batch>& batches() {
    static std::vector<Batch> b;
    return b;
  }
  void launch(const ComputeLaunch& l) override {
    auto& b = batches().emplace_back();
    b.values.resize(l.batch.bytes / 4);
    b.labels.resize(static_cast<std::size_t>(l.batch.samples));
    if (l.backend == BackendKind::host) {  // the host stand-in's run: host memory
      std::memcpy(b.values.data(), l.batch.data, l.batch.bytes);
      std::memcpy(b.labels.data(), l.batch.labels, b.labels.size() * 8);
      return;
    }
    // Pageable destinations: the copies complete before cudaMemcpyAsync returns, so the vectors are filled
    // when launch() returns (slow, and fine for a test).
    REQUIRE(cudaMemcpyAsync(b.values.data(), l.batch.data, l.batch.bytes, cudaMemcpyDeviceToHost, l.stream) == cudaSuccess);
    REQUIRE(cudaMemcpyAsync(b.labels.data(), l.batch.labels, b.labels.size() * 8, cudaMemcpyDeviceToHost, l.stream) ==
            cudaSuccess);
    REQUIRE(cudaStreamSynchronize(l.stream) == cudaSuccess);
  }
};

// One shape and transform list a case: the kernel is instantiated per channel count (1-4), and reads HWC or CHW.
struct TransformCase {
  const char* sample;      // the dataset's `sample:` map
  const char* transforms;  // device_transforms
};

constexpr TransformCase kTransformCases[] = {
    {"{shape: [24, 20, 3], dtype: uint8}", "[to_chw, {normalize: {mean: [120, 110, 100], std: [60, 50, 40]}}]"},
    {"{shape: [24, 20, 1], dtype: uint8}", "[{normalize: {mean: 100, std: 30}}]"},
    {"{shape: [2, 12, 10], dtype: float32}", "[{normalize: {mean: [0.25, 0.75], std: [0.5, 2]}}]"},
    {"{shape: [12, 10, 4], dtype: uint8}", "[to_chw, {normalize: {mean: [10, 20, 30, 40], std: [5, 6, 7, 8]}}]"},
};

std::string data_graph(const std::string& device, const TransformCase& c) {
  return "device: " + device + "\nbatch_size: 16\nepochs: 2\nwatchdog_s: 30\nverify: true\n"
         "dataset: {source: synthetic, samples: 100, sample: " + c.sample + ", classes: 9, shuffle: true}\n"
         "seed: 4\nconcurrency: {read: 4, transform: 2, pin: 2}\nprefetch: 4\n"
         "device_transforms: " + c.transforms + "\ncompute: {kernel: test_device_capture}\n";
}

}  // namespace

TEST_SUITE("gpu") {
  TEST_CASE("cuda: device transforms match the host stand-in for 1 to 4 channels and labels arrive in device memory") {
    register_compute("test_device_capture", [](const StageOptions&, const StageContext&) {
      return std::make_unique<DeviceCapture>();
    });
    for (const auto& c : kTransformCases) {
      CAPTURE(c.sample);
      DeviceCapture::batches().clear();
      fgtest::Deliveries gpu;
      const auto stats = run(parse_pipeline(data_graph("cuda", c), "d.yaml"), gpu.options());
      CHECK(stats.backend == "cuda");
      for (const auto& r : gpu.records) CHECK(r.host_checksum == r.device_checksum);
      auto on_gpu = DeviceCapture::batches();

      DeviceCapture::batches().clear();
      fgtest::Deliveries host;
      run(parse_pipeline(data_graph("host", c), "h.yaml"), host.options());
      const auto& on_host = DeviceCapture::batches();
      REQUIRE(on_gpu.size() == on_host.size());
      CHECK(gpu.ids == host.ids);
      for (std::size_t b = 0; b < on_gpu.size(); ++b) {
        REQUIRE(on_gpu[b].values.size() == on_host[b].values.size());
        for (std::size_t i = 0; i < on_gpu[b].values.size(); ++i)
          CHECK(on_gpu[b].values[i] == doctest::Approx(on_host[b].values[i]).epsilon(1e-6));
        for (std::size_t j = 0; j < on_gpu[b].labels.size(); ++j) CHECK(on_gpu[b].labels[j] == gpu.ids[b][j] % 9);
      }
    }
  }

  TEST_CASE("cuda: batches straight from a page-locked cache arrive intact over every transfer switch") {
    for (const char* transfer : {"{pinned: true, non_blocking: true, copy_stream: true}",
                                 "{pinned: true, non_blocking: false, copy_stream: false}",
                                 "{pinned: false, non_blocking: false, copy_stream: false}"}) {
      CAPTURE(transfer);
      const std::string yaml =
          "device: cuda\nbatch_size: 8\nepochs: 3\nwatchdog_s: 30\nverify: true\n"
          "dataset: {source: synthetic, samples: 100, sample: {shape: [3, 32, 32], dtype: float32}, cache: true}\n"
          "prefetch: 4\ntransfer: " + std::string(transfer) + "\ncompute: {kernel: checksum}\n";
      fgtest::Deliveries d;
      run(parse_pipeline(yaml, "cache.yaml"), d.options());
      fgtest::check_exactly_once(d, 100, 3, true);
    }
  }
}
