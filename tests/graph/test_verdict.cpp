// The verdict names the node that limits the graph, on CPU-, compute- and transfer-bound graphs. The first two
// run a graph and judge its timings, so they are in the `timing` suite that sanitizer runs leave out: a
// sanitizer's slowdown of the engine's own hand-offs, not the graph, would decide the verdict.
#include "graph_test_util.hpp"
#include "report/summarize.hpp"

#include <thread>

using namespace feedgraph;

namespace {

/// The settings of a small graph, for verdicts on runs laid out by hand.
RunSettings small_settings() { return RunSettings::of(parse_pipeline(fgtest::small_graph(64, 8, 1), "v.yaml")); }

/// A run's numbers laid out by hand: its wall, the streams' busy seconds, the compute stream's idle share (of
/// the run and of its steady state alike) and the nodes.
RunStats laid_out(double wall_s, double copy_s, double compute_s, double gpu_idle, std::vector<NodeStats> nodes) {
  RunStats s;
  s.wall_s = wall_s;
  s.copy_s = copy_s;
  s.compute_s = compute_s;
  s.gpu_idle_fraction = gpu_idle;
  s.gpu_idle_steady_fraction = gpu_idle;
  s.nodes = std::move(nodes);
  return s;
}

}  // namespace

TEST_SUITE_BEGIN("graph");

TEST_CASE("the verdict names read on the CPU-bound graph" * doctest::test_suite("timing")) {
  auto spec = load_pipeline(std::string(FEEDGRAPH_SOURCE_DIR) + "/graphs/cpu-bound.yaml",
                            {"device=host", "dataset.samples=768"});
  const auto s = run(spec);
  CAPTURE(s.verdict);
  // Two readers: more would help where there are cores to run them, and the verdict says which it is here.
  if (std::thread::hardware_concurrency() > 2) {
    CHECK(s.verdict.rfind("input-bound: read busy", 0) == 0);
    CHECK(s.verdict.find("raise concurrency.read") != std::string::npos);
  } else {
    CHECK(s.verdict.rfind("CPU-bound on this host: read busy", 0) == 0);
  }
}

TEST_CASE("the verdict says compute-bound on the compute-bound graph" * doctest::test_suite("timing")) {
  auto spec = load_pipeline(std::string(FEEDGRAPH_SOURCE_DIR) + "/graphs/compute-bound.yaml",
                            {"device=host", "dataset.samples=512", "compute.us=20000", "buffers.device=4"});
  // Four device buffers let the next kernels be queued behind the running one, as on a CUDA stream, so the
  // stream stays busy even when other tests load this machine's cores and delay the graph's hand-offs.
  const auto s = run(spec);
  CAPTURE(s.verdict);
  CHECK(s.verdict.rfind("compute-bound", 0) == 0);
  CHECK(s.gpu_idle_steady_fraction < 0.05);
}

TEST_CASE("the verdict says transfer-bound when the copy stream is saturated and names the fix") {
  // Copies back to back for 1 s, kernels 10% of it, host stages idle.
  RunStats s =
      laid_out(1.05, 0.98, 0.1, 0.9, {{"read", 4, 10, 0.4, 0.1, 0, 0}, {"transform", 4, 10, 0.2, 0.05, 0, 0}});
  s.copy_gbps = 25;
  for (int i = 0; i < 10; ++i) s.timeline.push_back({"copy stream", "copy", i, 0.1 * i, 0.1 * i + 0.098});
  detail::VerdictFacts facts{small_settings(), true, true, 16};
  std::string v = detail::verdict(s, facts);
  CHECK(v.rfind("transfer-bound: the copy engine is busy 98%", 0) == 0);
  CHECK(v.find("transfer.direct") != std::string::npos);
  facts.settings.transfer.pinned = false;
  v = detail::verdict(s, facts);
  CHECK(v.find("turn on transfer.pinned") != std::string::npos);
}

TEST_CASE("a compute-bound verdict says so when the thread submitting to the stream is the busy one / and whether it works or waits") {
  // The stream busy all the run, and the compute node's thread in its body for 95% of the wall (as with
  // nvJPEG's host side on one thread): the verdict points at the submitting thread, not the GPU.
  RunStats s = laid_out(1.0, 0, 0.99, 0.01,
                        {{"read", 4, 10, 0.4, 0.1, 0, 0, 0.4}, {"compute", 1, 10, 0.99, 0.99, 0, 0, 0.95}});
  s.gpu_idle_steady_fraction = 0.0;
  const detail::VerdictFacts facts{small_settings(), true, false, 16};
  std::string v = detail::verdict(s, facts);
  CHECK(v.rfind("compute-bound: the compute stream is busy 100%", 0) == 0);
  CHECK(v.find("the thread that submits to it was in its body 95% of the wall") != std::string::npos);
  CHECK(v.find("less host work per batch") != std::string::npos);
  // The same thread on a core for a fifth of that time: it waits in its body, and the verdict says so.
  s.nodes[1].cpu_s = 0.19;
  v = detail::verdict(s, facts);
  CHECK(v.rfind("compute-bound: the compute stream is busy 100%", 0) == 0);
  CHECK(v.find("on a core for 20% of it: it waits there") != std::string::npos);
  CHECK(v.find("less host work") == std::string::npos);
  s.nodes[1].cpu_s = 0.9;  // working, not waiting
  v = detail::verdict(s, facts);
  CHECK(v.find("less host work per batch") != std::string::npos);
  s.nodes[1].host_s = 0.05;  // a thread that only hands work over: the GPU is the limit
  v = detail::verdict(s, facts);
  CHECK(v.find("submits") == std::string::npos);
  CHECK(v.find("only a faster compute moves it") != std::string::npos);
}

TEST_CASE("the verdict never advises more workers than the cores can run") {
  // Two readers busy 95% of a 1 s run, the other nodes light: raising concurrency.read helps on a 16-core
  // host and cannot on a 2-core one, where the graph is CPU-bound.
  RunStats s = laid_out(1.0, 0, 0, 0.8,
                        {{"read", 2, 10, 1.9, 0.95, 0, 0},
                         {"transform", 1, 10, 0.1, 0.1, 0, 0},
                         {"pin", 1, 10, 0.1, 0.1, 0, 0}});
  detail::VerdictFacts facts{small_settings(), true, true, 16};
  std::string v = detail::verdict(s, facts);
  CAPTURE(v);
  CHECK(v.rfind("input-bound: read busy 95% of 2 workers", 0) == 0);
  CHECK(v.find("raise concurrency.read") != std::string::npos);

  facts.cores = 2;
  v = detail::verdict(s, facts);
  CAPTURE(v);
  CHECK(v.rfind("CPU-bound on this host: read busy 95% of 2 workers with 2.1 of its 2 cores busy", 0) == 0);
  CHECK(v.find("raise") == std::string::npos);
  CHECK(v.find("a host with more cores") != std::string::npos);
  CHECK(v.find("transfer.direct") != std::string::npos);
  CHECK(v.find("device_transforms") != std::string::npos);

  // The same readers on a core for a tenth of their time in the body: they wait on storage, so more of them
  // overlap more waits even on 2 cores, and the verdict counts the cores they keep busy, not their time.
  s.nodes[0].cpu_s = 0.19;
  s.nodes[1].cpu_s = 0.1;
  s.nodes[2].cpu_s = 0.1;
  v = detail::verdict(s, facts);
  CAPTURE(v);
  CHECK(v.rfind("input-bound: read busy 95% of 2 workers", 0) == 0);
  CHECK(v.find("raise concurrency.read") != std::string::npos);
  // The same time off a core, but spent waiting for one (other work had the cores): short of cores, not storage.
  facts.graph_core_wait_s = 1.5;
  v = detail::verdict(s, facts);
  CAPTURE(v);
  CHECK(v.rfind("CPU-bound on this host: read busy 95% of 2 workers", 0) == 0);
  CHECK(v.find("raise") == std::string::npos);
  facts.graph_core_wait_s = -1;
  // Working, not waiting: CPU-bound again, with the cores their CPU time kept busy.
  s.nodes[0].cpu_s = 1.8;
  v = detail::verdict(s, facts);
  CAPTURE(v);
  CHECK(v.rfind("CPU-bound on this host: read busy 95% of 2 workers with 2.0 of its 2 cores busy", 0) == 0);

  // One worker on a 4-core host with the rest idle: raising it is the advice.
  s.nodes = {{"read", 1, 10, 0.95, 0.95, 0, 0}};
  facts.cores = 4;
  v = detail::verdict(s, facts);
  CHECK(v.find("raise concurrency.read") != std::string::npos);
}

TEST_CASE("the verdict says consumer-bound when a pulling loop almost never waited for a batch") {
  const RunStats s =
      laid_out(2, 0, 0.01, 0.99, {{"read", 4, 10, 0.4, 0.05, 0, 0}, {"transform", 4, 10, 0.2, 0.03, 0, 0}});
  detail::VerdictFacts facts{small_settings(), true, true, 16, 0.02};
  CHECK(detail::verdict(s, facts).rfind("consumer-bound: the loop waited for a batch 2% of the time", 0) == 0);
  facts.consumer_wait_fraction = 0.4;  // the loop waited: the input side is judged as usual
  CHECK(detail::verdict(s, facts).rfind("latency-bound", 0) == 0);
  facts.consumer_wait_fraction = -1;   // not a pulling run
  CHECK(detail::verdict(s, facts).rfind("latency-bound", 0) == 0);
}

TEST_SUITE_END();
