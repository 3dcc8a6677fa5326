// The numbers a run reports add up.
#include <pthread.h>

#include <chrono>
#include <string>
#include <thread>

#include "graph_test_util.hpp"

using namespace feedgraph;

TEST_SUITE_BEGIN("graph");

TEST_CASE("run metrics are consistent: busy within wall x concurrency / fractions within 0..1 / counts exact") {
  auto spec = parse_pipeline(fgtest::small_graph(96, 8, 2, "concurrency: {read: 2, transform: 2, pin: 1}\n"), "r.yaml");
  auto s = run(spec);
  CHECK(s.variant == "concurrent");
  CHECK(s.backend == "host");
  CHECK(s.batches == 24);
  CHECK(s.samples == 192);
  CHECK(s.bytes_copied == 192u * 3 * 8 * 8 * 4);
  CHECK(s.wall_s > 0);
  CHECK(s.samples_per_s == doctest::Approx(192 / s.wall_s));
  CHECK(s.gpu_idle_fraction >= 0);
  CHECK(s.gpu_idle_fraction <= 1);
  CHECK(s.copy_hidden_fraction >= 0);
  CHECK(s.copy_hidden_fraction <= 1);
  CHECK(s.latency_p50_s <= s.latency_p95_s);
  CHECK(s.latency_p95_s <= s.latency_p99_s);
  CHECK(s.latency_p99_s <= s.wall_s);
  REQUIRE(s.nodes.size() == 5);
  for (const auto& n : s.nodes) {
    CAPTURE(n.name);
    CHECK(n.batches == 24);
    CHECK(n.busy_s <= s.wall_s * n.concurrency * 1.01);
    CHECK(n.utilization >= 0);
    CHECK(n.utilization <= 1);
  }
  CHECK_FALSE(s.verdict.empty());
}

TEST_CASE("host_s: a host node's is its busy time / the compute node's is its submitting time and not its stream's") {
  // The host stand-in's compute thread runs the 20 ms a batch as a stream would; the compute node's own thread
  // only hands each batch over.
  std::string yaml = fgtest::small_graph(64, 8, 1);
  const std::string checksum = "compute: {kernel: checksum}";
  yaml.replace(yaml.find(checksum), checksum.size(), "compute: {kernel: spin, us: 20000}");
  const auto s = run(parse_pipeline(yaml, "h.yaml"));
  REQUIRE(s.batches == 8);
  const NodeStats* compute = nullptr;
  for (const auto& n : s.nodes) {
    CAPTURE(n.name);
    if (n.name == "compute") compute = &n;
    else if (n.name != "copy") CHECK(n.host_s == n.busy_s);
    CHECK(n.host_s >= 0);
    CHECK(n.host_s <= s.wall_s * n.concurrency * 1.01);
  }
  REQUIRE(compute);
  CHECK(compute->busy_s >= 8 * 0.020 * 0.9);
  CHECK(compute->host_s < 0.5 * compute->busy_s);
}

// It judges CPU time against wall time, which a loaded machine and a sanitizer's slowdown both change: in the
// `timing` suite (tests/CMakeLists.txt), with margins for ctest's two jobs sharing two cores.
TEST_CASE("cpu_s: a node that spins spends its host time on a core / one that sleeps does not / the run's counts both" *
          doctest::test_suite("timing")) {
  auto run_with = [](const std::string& cost) {
    std::string yaml = fgtest::small_graph(32, 4, 1, "concurrency: {read: 1}\n");
    const std::string seed = "seed: 7}";
    yaml.replace(yaml.find(seed), seed.size(), "seed: 7, cost: " + cost + "}");
    return run(parse_pipeline(yaml, "cpu.yaml"));
  };
  auto read_node = [](const RunStats& s) {
    for (const auto& n : s.nodes)
      if (n.name == "read") return n;
    FAIL("no read node");
    return NodeStats{};
  };
  // 32 samples of 3 ms each: ~96 ms in the read node's body either way.
  const RunStats spins = run_with("{cpu_us: 3000}");
  const RunStats sleeps = run_with("{io_us: 3000}");
  const NodeStats spun = read_node(spins), slept = read_node(sleeps);
  CHECK(spun.host_s >= 0.09);
  CHECK(slept.host_s >= 0.09);
  // One worker: its CPU is at most its time in the body. Spinning, it holds a core for all of it that the
  // scheduler gives it (a busy machine may share the core); sleeping, for almost none.
  CHECK(spun.cpu_s <= spun.host_s * 1.05 + 0.002);
  CHECK(spun.cpu_s >= 0.25 * spun.host_s);
  CHECK(slept.cpu_s <= 0.1 * slept.host_s);
  // The process's CPU over the wall holds every node body's (less a scheduler tick the process clock may lag
  // by), and no more than the cores could give.
  for (const RunStats* s : {&spins, &sleeps}) {
    double in_nodes = 0;
    for (const auto& n : s->nodes) in_nodes += n.cpu_s;
    CHECK(s->cpu_s >= in_nodes - 0.01);
    CHECK(s->cpu_s <= s->wall_s * std::thread::hardware_concurrency() * 1.1 + 0.01);
  }
  CHECK(spins.cpu_s > sleeps.cpu_s);
}

namespace {
const ThreadCpu* group(const RunStats& s, const std::string& name) {
  for (const auto& g : s.thread_cpu)
    if (g.name == name) return &g;
  return nullptr;
}
std::string this_thread_name() {
  char name[16] = {};
  pthread_getname_np(pthread_self(), name, sizeof(name));
  return name;
}
}  // namespace

TEST_CASE("thread_cpu: the graph's threads are one group / the engine's own threads and a pulling loop are named" *
          doctest::test_suite("timing")) {
  // The host stand-in's compute thread spins 20 ms a batch: its CPU shows under its name.
  std::string yaml = fgtest::small_graph(64, 8, 1);
  const std::string checksum = "compute: {kernel: checksum}";
  yaml.replace(yaml.find(checksum), checksum.size(), "compute: {kernel: spin, us: 20000}");
  const RunStats s = run(parse_pipeline(yaml, "t.yaml"));
  REQUIRE_FALSE(s.thread_cpu.empty());
  const ThreadCpu* compute = group(s, "fg-host-compute");
  const ThreadCpu* graph = group(s, "graph");
  REQUIRE(compute);
  REQUIRE(graph);
  CHECK(compute->threads == 1);
  CHECK(compute->cpu_s >= 0.25 * 8 * 0.020);  // a busy machine may share its core, not take most of it
  CHECK(group(s, "fg-watchdog"));
  CHECK(graph->threads >= 1);
  double in_nodes = 0, in_groups = 0;
  for (const auto& n : s.nodes) in_nodes += n.cpu_s;
  for (const auto& g : s.thread_cpu) in_groups += g.cpu_s;
  CHECK(graph->cpu_s >= in_nodes - 0.01);  // every node body ran on a graph thread
  CHECK(in_groups <= s.cpu_s + 0.02);       // the process clock holds every thread's
  for (std::size_t i = 1; i < s.thread_cpu.size(); ++i) CHECK(s.thread_cpu[i - 1].cpu_s >= s.thread_cpu[i].cpu_s);

  // A pulling loop that spins 3 ms a batch: its thread is not the graph's, and keeps its own name.
  Pipeline pipeline(parse_pipeline(fgtest::small_graph(64, 4, 1), "p.yaml"));
  for (DeviceBatch& batch : pipeline.batches()) {
    (void)batch;
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(3);
    while (std::chrono::steady_clock::now() < until) {
    }
  }
  const RunStats pulled = pipeline.stats();
  const ThreadCpu* loop = group(pulled, this_thread_name());
  REQUIRE(loop);
  CHECK(loop->cpu_s >= 0.25 * 16 * 0.003);
  CHECK(group(pulled, "graph"));
  CHECK_FALSE(group(pulled, "fg-pull-graph"));  // it ran the graph: in that group
}

TEST_CASE("without pinned memory there is no pin node in the report") {
  auto spec = parse_pipeline(fgtest::small_graph(16, 4, 1, "transfer: {pinned: false}\n"), "np.yaml");
  auto s = run(spec);
  for (const auto& n : s.nodes) CHECK(n.name != "pin");
  CHECK(s.nodes.size() == 4);
}

TEST_SUITE_END();
