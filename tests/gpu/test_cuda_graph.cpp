// The graph on a real GPU: the delivery grid with verify on, every transfer switch, matmul, and a kernel
// fault that must end the run with a CudaError instead of a hang. Label `gpu`; skipped where none answers.
#include <cuda_runtime_api.h>

#include "../graph/graph_test_util.hpp"

namespace fgtest {
void enqueue_trap(cudaStream_t stream);
}

using namespace feedgraph;

namespace {
std::string gpu_graph(int samples, int batch, int epochs, const std::string& extra) {
  return "device: cuda\nbatch_size: " + std::to_string(batch) + "\nepochs: " + std::to_string(epochs) +
         "\ndataset: {source: synthetic, samples: " + std::to_string(samples) +
         ", sample: {shape: [3, 64, 64], dtype: float32}, seed: 3}\n"
         "transforms: [{normalize: {mean: 0.5, std: 0.25}}]\nverify: true\nwatchdog_s: 30\n" + extra;
}

class TrapKernel final : public ComputeStage {
 public:
  explicit TrapKernel(std::int64_t at) : at_(at) {}
  void launch(const ComputeLaunch& l) override {
    if (calls_++ == at_) fgtest::enqueue_trap(l.stream);
    enqueue_device_checksum(l.batch, l.checksum, l.stream);
  }

 private:
  std::int64_t at_;
  std::int64_t calls_ = 0;
};
}  // namespace

TEST_SUITE("gpu") {
  TEST_CASE("cuda: every sample once per epoch and in order when ordered and verified over concurrency x prefetch") {
    for (int conc : {1, 2, 4})
      for (int prefetch : {1, 2, 8})
        for (bool ordered : {true, false}) {
          CAPTURE(conc);
          CAPTURE(prefetch);
          CAPTURE(ordered);
          const std::string extra = "concurrency: {read: " + std::to_string(conc) + ", transform: " + std::to_string(conc) +
                                    ", pin: " + std::to_string(conc) + "}\nprefetch: " + std::to_string(prefetch) +
                                    "\nordered: " + (ordered ? "true" : "false") + "\ncompute: {kernel: checksum}\n";
          auto spec = parse_pipeline(gpu_graph(100, 8, 2, extra), "gpu-grid.yaml");
          fgtest::Deliveries d;
          auto stats = run(spec, d.options());
          CHECK(stats.backend == "cuda");
          fgtest::check_exactly_once(d, 100, 2, ordered);
          for (std::size_t i = 0; i < d.records.size(); ++i)
            CHECK(d.records[i].device_checksum == fgtest::expected_checksum(spec, d.ids[i], d.records[i].epoch));
        }
  }

  TEST_CASE("cuda: every transfer switch combination and the serial twin deliver verified batches") {
    for (int mask = 0; mask < 16; ++mask) {
      CAPTURE(mask);
      const std::string extra = std::string("transfer: {pinned: ") + (mask & 1 ? "true" : "false") +
                                ", non_blocking: " + (mask & 2 ? "true" : "false") +
                                ", copy_stream: " + (mask & 4 ? "true" : "false") +
                              ", direct: " + (mask & 8 ? "true" : "false") + "}\ncompute: {kernel: spin, us: 200}\n";
      auto spec = parse_pipeline(gpu_graph(60, 8, 2, extra), "gpu-switch.yaml");
      fgtest::Deliveries d;
      run(spec, d.options());
      fgtest::check_exactly_once(d, 60, 2, true);
    }
    auto spec = parse_pipeline(gpu_graph(60, 8, 1, "compute: {kernel: checksum}\n"), "gpu-twin.yaml");
    fgtest::Deliveries d;
    auto stats = run(serial_twin(spec), d.options());
    CHECK(stats.variant == "serial");
    fgtest::check_exactly_once(d, 60, 1, true);
  }

  TEST_CASE("cuda: matmul runs its FLOPs and the batches still verify") {
    auto spec = parse_pipeline(gpu_graph(64, 16, 1, "compute: {kernel: matmul, flops_per_batch: 2e10}\n"), "gpu-mm.yaml");
    fgtest::Deliveries d;
    auto stats = run(spec, d.options());
    fgtest::check_exactly_once(d, 64, 1, true);
    CHECK(stats.compute_s > 0);
  }

  TEST_CASE("cuda: a trapping kernel ends the run with a CudaError / not a hang") {
    register_compute("test_trap", [](const StageOptions&, const StageContext&) { return std::make_unique<TrapKernel>(3); });
    auto spec = parse_pipeline(gpu_graph(80, 8, 1, "compute: {kernel: test_trap}\n"), "gpu-trap.yaml");
    try {
      run(spec);
      FAIL("expected a CudaError");
    } catch (const CudaError& e) {
      MESSAGE(e.what());
      CHECK(e.code() != 0);
      CHECK_FALSE(e.name().empty());
    }
  }
}
