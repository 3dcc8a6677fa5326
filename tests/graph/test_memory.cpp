// Memory is planned before anything is allocated, refused over the budget, and never exceeded.
#include "graph_test_util.hpp"

using namespace feedgraph;

TEST_SUITE_BEGIN("graph");

TEST_CASE("the plan counts every pool: host buffers / pinned slots / device buffers") {
  auto spec = parse_pipeline(fgtest::small_graph(64, 8, 1, "prefetch: 3\nbuffers: {pinned: 2, device: 4}\n"), "m.yaml");
  auto p = plan(spec);
  const std::uint64_t batch = 8 * 3 * 8 * 8 * 4;
  CHECK(p.batch_bytes == batch);
  CHECK(p.memory.host_bytes == 3 * batch);
  CHECK(p.memory.pinned_bytes == 2 * batch);
  // Each device buffer has room for its batch's labels (8 int64); the checksum kernel needs no scratch.
  CHECK(p.memory.device_bytes == 4 * (batch + 8 * 8));
}

TEST_CASE("the measured peak never exceeds the planned bound") {
  for (int prefetch : {1, 4}) {
    auto spec = parse_pipeline(fgtest::small_graph(64, 8, 2, "prefetch: " + std::to_string(prefetch) + "\n"), "m.yaml");
    auto p = plan(spec);
    auto stats = run(spec);
    CHECK(stats.peak_memory_bytes > 0);
    CHECK(stats.peak_memory_bytes <= p.memory.total());
  }
}

TEST_CASE("a graph over memory_budget is refused before it runs / naming the budget") {
  auto spec = parse_pipeline(fgtest::small_graph(64, 8, 1, "memory_budget: 4KiB\n"), "budget.yaml");
  bool ran = false;
  RunOptions o;
  o.on_batch = [&](const BatchRecord&) { ran = true; };
  try {
    run(spec, o);
    FAIL("expected a memory_budget error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("memory_budget") != std::string::npos);
  }
  CHECK_FALSE(ran);
  spec.memory_budget = plan(parse_pipeline(fgtest::small_graph(64, 8, 1), "x.yaml")).memory.total();
  CHECK_NOTHROW(run(spec));
}

TEST_SUITE_END();
