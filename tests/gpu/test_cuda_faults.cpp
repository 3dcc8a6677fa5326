// `faults:` on cuda: the same failures through the CUDA runtime — a real `__trap()`, a wait kernel, and the
// runtime's own allocation status — and nothing left afterwards: no stream, event, pinned or device memory.
#include "../graph/graph_test_util.hpp"

using namespace feedgraph;

namespace {
std::string gpu_graph(const std::string& extra) {
  return "device: cuda\nbatch_size: 8\ndataset: {source: synthetic, samples: 160, sample: {shape: [3, 32, 32], "
         "dtype: float32}, seed: 3}\ntransforms: [{normalize: {mean: 0.5, std: 0.25}}]\nverify: true\nwatchdog_s: 5\n" +
         extra;
}
void check_nothing_left() {
  const LiveResources live = live_resources();
  CHECK_MESSAGE(live.none(), live.text());
}
}  // namespace

TEST_SUITE("gpu") {
  TEST_CASE("cuda: nothing is left after runs that succeed / no stream or event or pinned or device memory") {
    for (const char* transfer : {"{pinned: true}", "{pinned: true, direct: true}", "{pinned: false}"}) {
      CAPTURE(transfer);
      fgtest::Deliveries d;
      run(parse_pipeline(gpu_graph(std::string("transfer: ") + transfer + "\n"), "ok.yaml"), d.options());
      fgtest::check_exactly_once(d, 160, 1, true);
      check_nothing_left();
    }
  }

  TEST_CASE("cuda: a refused cudaHostAlloc or cudaMalloc is a CudaError and what was allocated is freed") {
    for (const char* memory : {"pinned", "device"}) {
      CAPTURE(memory);
      auto spec = parse_pipeline(gpu_graph(std::string("faults: [{kind: refuse_alloc, memory: ") + memory + "}]\n"),
                                 "alloc.yaml");
      try {
        run(spec);
        FAIL("expected a CudaError");
      } catch (const CudaError& e) {
        CHECK(e.name() == "cudaErrorMemoryAllocation");
        CHECK(e.call().find(std::string(memory) == "pinned" ? "cudaHostAlloc" : "cudaMalloc") != std::string::npos);
      }
      check_nothing_left();
    }
  }

  TEST_CASE("cuda: a slow consumer (a wait kernel per batch) slows the run and loses nothing") {
    auto spec = parse_pipeline(gpu_graph("faults: [{kind: slow_consumer, seconds: 0.02}]\n"), "slow.yaml");
    fgtest::Deliveries d;
    const auto stats = run(spec, d.options());
    fgtest::check_exactly_once(d, 160, 1, true);
    CHECK(stats.compute_s >= 20 * 0.02 * 0.99);
    check_nothing_left();
  }

  // Last in this file: after a trap the process's CUDA context is unusable (ctest runs each case alone).
  TEST_CASE("cuda: faults: trap at batch 5 ends the run with a CudaError naming the compute / never a hang") {
    auto spec = parse_pipeline(gpu_graph("faults: [{kind: trap, batch: 5}]\n"), "trap.yaml");
    try {
      run(spec);
      FAIL("expected a CudaError");
    } catch (const CudaError& e) {
      // A copy or a free on another thread may meet the poisoned context first (graph/first_error.hpp).
      CHECK_MESSAGE(std::string(e.what()).find("compute of batch") != std::string::npos, e.what());
      CHECK(e.name() == "cudaErrorLaunchFailure");
    }
  }
}
