// Randomized stress on cuda: the host suite's generator (tests/stress/random_graph.hpp), on the GPU.
#include "../stress/random_graph.hpp"

TEST_SUITE("gpu") {
  TEST_CASE("cuda: random graphs deliver every sample once in order when ordered with checksums and memory within the plan") {
    const auto b = stress::stress_batch(1001, 150);
    std::int64_t samples = 0;
    for (int i = 0; i < b.count; ++i) samples += stress::check_random_graph(stress::random_graph(b.first + i, "cuda"));
    MESSAGE(b.count << " random graphs on cuda from seed " << b.first << ": " << samples << " samples checked");
  }
}
