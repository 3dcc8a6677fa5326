// `threads: auto`: a thread per read worker that may sleep on storage, the computing bodies sharing the cores.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "../graph/graph_test_util.hpp"
#include "graph/thread_count.hpp"
#include "samples/cached_source.hpp"

using namespace feedgraph;

namespace {

/// A transform that waits 30 ms on "a service" per sample, and says so.
class Nap final : public Transform {
 public:
  bool in_place() const override { return true; }
  bool may_sleep() const override { return true; }
  void apply(const SampleView& in, SampleOut& out, const SampleContext&) const override {
    (void)out.allocate(in.layout);
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
  }
};

int most_at_once(const RunStats& s, const std::string& node) {
  std::vector<std::pair<double, int>> edges;  // +1 where a body begins, -1 where one ends
  for (const auto& span : s.timeline)
    if (span.node == node) edges.push_back({span.begin_s, 1}), edges.push_back({span.end_s, -1});
  std::sort(edges.begin(), edges.end());  // at equal times the end (-1) comes first
  int now = 0, most = 0;
  for (const auto& [t, d] : edges) most = std::max(most, now += d);
  return most;
}

/// 24 single-sample batches of a synthetic source (`cost` its extra options), through `transform`, with
/// `concurrency` (read and transform; pin 1) and room for eight batches in flight.
PipelineSpec graph_of_24(const std::string& cost, const std::string& transform, const std::string& concurrency) {
  return parse_pipeline("name: workers\ndevice: host\nbatch_size: 1\nepochs: 1\nwatchdog_s: 20\n"
                        "dataset: {source: synthetic, samples: 24, sample: {shape: [3, 8, 8], dtype: float32}" +
                            (cost.empty() ? "" : ", " + cost) + "}\n"
                        "transforms: [" + transform + "]\ncompute: {kernel: checksum}\n"
                        "concurrency: {" + concurrency + ", pin: 1}\nprefetch: 8\n",
                        "t.yaml");
}

}  // namespace

TEST_SUITE_BEGIN("graph");

TEST_CASE("threads: auto gives sleeping workers threads of their own and caps the computing bodies at the cores") {
  using detail::auto_thread_count;
  const ConcurrencySpec jpeg{.read = 1, .transform = 2, .pin = 1};  // 5 bodies, all computing (a cache)
  CHECK(auto_thread_count(2, jpeg, false, false) == 2);
  CHECK(auto_thread_count(16, jpeg, false, false) == 5);  // no more threads than bodies can use at once
  const ConcurrencySpec images{.read = 4, .transform = 12, .pin = 2};  // graphs/images.yaml
  CHECK(auto_thread_count(2, images, true, false) == 4 + 2);  // 4 sleepers + the 2 cores
  CHECK(auto_thread_count(16, images, true, false) == 4 + 15);  // 15 computing bodies fit 16 cores
  CHECK(auto_thread_count(16, images, false, false) == 16);
  const ConcurrencySpec io{.read = 32, .transform = 1, .pin = 1};
  CHECK(auto_thread_count(4, io, true, false) == 32 + 3);
  const ConcurrencySpec fetch{.read = 1, .transform = 8, .pin = 1};  // a transform that waits on a service
  CHECK(auto_thread_count(2, fetch, false, true) == 8 + 2);
  CHECK(auto_thread_count(2, fetch, false, false) == 2);
  // graphs/images-gpu.yaml: the host reads cached files and pins them; the GPU decodes
  const ConcurrencySpec gpu_decode{.read = 4, .transform = 1, .pin = 2};
  CHECK(auto_thread_count(16, gpu_decode, false, false) == 4 + 1 + 2 + 1);
  CHECK(auto_thread_count(16, gpu_decode, false, false, 4) == 4 + 1 + 8 + 1);  // a pin body copies 4 chunks at once
  CHECK(auto_thread_count(16, gpu_decode, false, false, 0) == 4 + 1 + 1);      // no pin node
}

TEST_CASE("a pin body copies a batch over two chunks with a thread a chunk up to the cores") {
  using detail::kPinChunk;
  using detail::pin_width;
  CHECK(pin_width(0, 16) == 1);
  CHECK(pin_width(2 * kPinChunk, 16) == 1);
  CHECK(pin_width(2 * kPinChunk + 1, 16) == 3);
  CHECK(pin_width(13 * kPinChunk / 2, 16) == 7);
  CHECK(pin_width(100 * kPinChunk, 16) == 16);
  CHECK(pin_width(100 * kPinChunk, 0) == 1);
}

TEST_CASE("the ranks on one host share its cores: the shares add up to the cores and none is below one") {
  for (int cores : {1, 2, 7, 16, 128}) {
    for (int ranks : {1, 2, 3, 8}) {
      int sum = 0;
      for (int r = 0; r < ranks; ++r) {
        const int share = detail::core_share(cores, ranks, r);
        CHECK(share >= 1);
        sum += share;
      }
      CAPTURE(cores);
      CAPTURE(ranks);
      CHECK(sum == std::max(cores, ranks));
    }
  }
  CHECK(detail::core_share(16, 3, 0) == 6);
  CHECK(detail::core_share(16, 3, 2) == 5);
}

TEST_CASE("a source says whether its reads may sleep: synthetic only with cost.io_us / a cache never") {
  auto source = [](const std::string& cost) {
    return detail::build_source(StageSpec{"synthetic", StageOptions::parse("samples: 4\nsample: {shape: [4], dtype: uint8}\n" + cost, "t.yaml")}, {});
  };
  CHECK_FALSE(source("")->read_may_sleep());
  CHECK_FALSE(source("cost: {cpu_us: 5}")->read_may_sleep());
  const auto sleeper = source("cost: {io_us: 5}");
  CHECK(sleeper->read_may_sleep());
  const detail::CachedSource cached(*sleeper, std::vector<detail::CachedSample>(4), std::vector<std::int64_t>(4), {});
  CHECK_FALSE(cached.read_may_sleep());
}

TEST_CASE("read workers that sleep all run at once / on any number of cores") {
  // Six read workers whose every sample sleeps 30 ms: with a thread each, six reads overlap, whatever the
  // cores (on a 2-core machine a cap at the cores would let two).
  const RunStats s =
      run(graph_of_24("cost: {io_us: 30000}", "{normalize: {mean: 0.5, std: 0.25}}", "read: 6, transform: 1"));
  CHECK(s.samples == 24);
  CHECK(most_at_once(s, "read") == 6);
}

TEST_CASE("transform workers whose transform may sleep all run at once / on any number of cores") {
  register_transform("test_nap", [](const StageOptions&, const StageContext&) { return std::make_unique<Nap>(); });
  const RunStats s = run(graph_of_24("", "test_nap", "read: 1, transform: 6"));
  CHECK(s.samples == 24);
  CHECK(most_at_once(s, "transform") == 6);
}

TEST_SUITE_END();
