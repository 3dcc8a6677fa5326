// Randomized stress on the host backend: seeded random valid graphs, each checked for every sample
// exactly once per epoch, order, checksums, peak memory within the plan and a run that ends. Four cases of
// 60 graphs each, so that each stays well inside ctest's per-test limit on a loaded 2-core machine; the
// same generator drives the cuda suite (tests/gpu/test_cuda_stress.cpp).
#include "random_graph.hpp"

namespace {
void run_graphs(std::uint64_t first) {
  const auto b = stress::stress_batch(first, 60);
  std::int64_t samples = 0;
  for (int i = 0; i < b.count; ++i) samples += stress::check_random_graph(stress::random_graph(b.first + i, "host"));
  MESSAGE(b.count << " random graphs from seed " << b.first << ": " << samples << " samples checked");
}
}  // namespace

TEST_SUITE("stress") {
  TEST_CASE("random graphs on host / seeds 1-60") { run_graphs(1); }
  TEST_CASE("random graphs on host / seeds 61-120") { run_graphs(61); }
  TEST_CASE("random graphs on host / seeds 121-180") { run_graphs(121); }
  TEST_CASE("random graphs on host / seeds 181-240") { run_graphs(181); }
}
