// feedgraph tune's model: the prediction, the cheapest setting that reaches the model's best, and the
// step taken from a measured trial, on made-up service times so that every figure is exact.
#include <doctest/doctest.h>

#include <string>

#include "feedgraph/tools/tune.hpp"
#include "tools/tune/model.hpp"

using namespace feedgraph;
using feedgraph::detail::KeyRange;
using feedgraph::detail::SearchSpace;

namespace {

/// Per batch: read 10 ms, transform 4 ms, pin 1 ms, copy 2 ms, compute 3 ms, CPU 12 ms; 64 samples.
ServiceProfile profile() {
  ServiceProfile p;
  p.read_s = 0.010;
  p.transform_s = 0.004;
  p.pin_s = 0.001;
  p.copy_s = 0.002;
  p.compute_s = 0.003;
  p.cpu_s = 0.012;
  p.samples_per_batch = 64;
  return p;
}

SearchSpace full_space() {
  return {KeyRange{1, 8}, KeyRange{1, 8}, KeyRange{1, 8}, KeyRange{1, 16}};
}

}  // namespace

TEST_SUITE("tune") {

TEST_CASE("predict: every key at 1 is bound by the host buffer / held for read + transform + pin") {
  const Prediction p = predict(profile(), {1, 1, 1, 1}, 3);
  CHECK(p.limit == "prefetch");
  CHECK(p.batches_per_s == doctest::Approx(1 / 0.015));  // 66.7 batches/s
  CHECK(p.samples_per_s == doctest::Approx(64 / 0.015));
}

TEST_CASE("predict: two readers and four buffers are bound by read at 200 batches/s") {
  const Prediction p = predict(profile(), {2, 1, 1, 4}, 3);
  CHECK(p.limit == "read");
  CHECK(p.batches_per_s == doctest::Approx(200.0));
  CHECK(p.samples_per_s == doctest::Approx(12800.0));
}

TEST_CASE("predict: with every key at its top the cores bind (3 cores / 12 ms of CPU = 250 batches/s)") {
  const Prediction p = predict(profile(), {8, 8, 8, 16}, 3);
  CHECK(p.limit == "cores");
  CHECK(p.batches_per_s == doctest::Approx(250.0));
  // More cores: the compute stream (1 / 3 ms) is next, and no key moves it.
  const Prediction more = predict(profile(), {8, 8, 8, 16}, 16);
  CHECK(more.limit == "compute");
  CHECK(more.batches_per_s == doctest::Approx(1 / 0.003));
}

TEST_CASE("predict: streams / pools and threads") {
  SUBCASE("copies on the compute stream add to the kernels: 1 / (2 + 3 ms)") {
    ServiceProfile p = profile();
    p.copy_stream = false;
    const Prediction pr = predict(p, {8, 8, 8, 16}, 64);
    CHECK(pr.limit == "copy + compute");
    CHECK(pr.batches_per_s == doctest::Approx(200.0));
  }
  SUBCASE("one device buffer is held for copy + compute") {
    ServiceProfile p = profile();
    p.device_buffers = 1;
    const Prediction pr = predict(p, {8, 8, 8, 16}, 64);
    CHECK(pr.limit == "device buffers");
    CHECK(pr.batches_per_s == doctest::Approx(200.0));
  }
  SUBCASE("without a pin node the host buffer is held until the copy is done: read + transform + copy") {
    ServiceProfile p = profile();
    p.pin_node = false;
    const Prediction pr = predict(p, {1, 1, 1, 1}, 3);
    CHECK(pr.limit == "prefetch");
    CHECK(pr.batches_per_s == doctest::Approx(1 / 0.016));
  }
  SUBCASE("`threads: 1` runs every host body on one thread: 1 / (10 + 4 + 1 ms)") {
    ServiceProfile p = profile();
    p.threads = 1;
    const Prediction pr = predict(p, {8, 8, 8, 16}, 64);
    CHECK(pr.limit == "threads");
    CHECK(pr.batches_per_s == doctest::Approx(1 / 0.015));
  }
  SUBCASE("explicit pinned slots are held for pin + copy") {
    ServiceProfile p = profile();
    p.pinned_slots = 1;
    const Prediction pr = predict(p, {8, 8, 8, 16}, 64);
    CHECK(pr.limit == "pinned slots");
    CHECK(pr.batches_per_s == doctest::Approx(1 / 0.003));
  }
}

TEST_CASE("cheapest_best: the fewest workers and buffers that reach the model's best of 250 batches/s") {
  const TuneSettings s = detail::cheapest_best(profile(), full_space(), 3);
  // read: 250 × 10 ms = 2.5 → 3 workers; transform: 250 × 4 ms = 1 → 1 (exactly, not rounded up to 2);
  // pin: 250 × 1 ms → 1; prefetch: 250 × 15 ms = 3.75 → 4, plus the one that bridges the hand-off.
  CHECK(s == TuneSettings{3, 1, 1, 5});
  CHECK(predict(profile(), s, 3).batches_per_s == doctest::Approx(250.0));
}

TEST_CASE("cheapest_best: keys that are not searched keep their value / and limits cap the rest") {
  SearchSpace space = full_space();
  space.transform = KeyRange{2, 2};  // fixed at the file's 2
  space.read = KeyRange{1, 2};       // two readers at most: 200 batches/s
  const TuneSettings s = detail::cheapest_best(profile(), space, 3);
  CHECK(s.read == 2);
  CHECK(s.transform == 2);
  CHECK(s.pin == 1);
  CHECK(s.prefetch == 4);  // 200 × 15 ms = 3 → 3, plus 1
  CHECK(predict(profile(), s, 3).batches_per_s == doctest::Approx(200.0));
}

TEST_CASE("next_steps: raise the limiting node to where the next bound binds / prefetch following") {
  ServiceProfile measured = profile();
  measured.cpu_s = 0.002;  // reads that wait on storage: the cores are far away
  SearchSpace space = full_space();
  space.transform = KeyRange{1, 1};
  space.pin = KeyRange{1, 1};
  const TuneSettings at{2, 1, 1, 4};
  std::string stop;
  const auto steps = detail::next_steps({measured, at, 195.0, space, 3}, stop);
  CHECK(stop.empty());
  REQUIRE(steps.size() == 1);
  // read bounds at 2 / 10 ms = 200; the next bound is transform's 250, so 2 × 250 / 200 = 2.5 → 3 readers,
  // and prefetch 250 × 15 ms = 3.75 → 4, plus 1.
  CHECK(steps[0].settings == TuneSettings{3, 1, 1, 5});
  CHECK(steps[0].why.find("raise read 2 → 3") != std::string::npos);
}

TEST_CASE("next_steps: at most double a key / then offer one more as the smaller step") {
  ServiceProfile measured = profile();
  measured.cpu_s = 0.0001;
  measured.transform_s = 0.0001;
  measured.compute_s = 0.0001;
  measured.copy_s = 0.0001;
  SearchSpace space = full_space();
  std::string stop;
  const auto steps = detail::next_steps({measured, TuneSettings{2, 1, 1, 16}, 190.0, space, 3}, stop);
  REQUIRE(steps.size() == 2);
  CHECK(steps[0].settings.read == 4);
  CHECK(steps[1].settings.read == 3);
}

TEST_CASE("next_steps: stop where a bound no key moves limits the graph (the cores)") {
  ServiceProfile measured = profile();
  measured.read_s = 0.012;  // three readers on three busy cores: each body stretched
  std::string stop;
  const auto steps = detail::next_steps({measured, TuneSettings{3, 1, 1, 5}, 245.0, full_space(), 3}, stop);
  CHECK(steps.empty());
  CHECK(stop.find("cores limits the graph") != std::string::npos);
}

TEST_CASE("next_steps: a key at its upper limit ends the search") {
  std::string stop;
  SearchSpace space = full_space();
  space.read = KeyRange{1, 2};
  ServiceProfile measured = profile();
  measured.cpu_s = 0.001;
  const auto steps = detail::next_steps({measured, TuneSettings{2, 1, 1, 5}, 198.0, space, 3}, stop);
  CHECK(steps.empty());
  CHECK(stop == "read limits the graph (200 batches/s) and is at its upper limit 2");
}

TEST_CASE("next_steps: measured far below every bound raises prefetch / to hide latency") {
  ServiceProfile measured = profile();
  measured.cpu_s = 0.001;
  std::string stop;
  // Every bound at {8, 8, 8, 8} is 333 batches/s or more (compute); 100 were measured.
  const auto steps = detail::next_steps({measured, TuneSettings{8, 8, 8, 8}, 100.0, full_space(), 3}, stop);
  CHECK(stop.empty());
  REQUIRE(steps.size() == 2);
  CHECK(steps[0].settings == TuneSettings{8, 8, 8, 16});
  CHECK(steps[1].settings == TuneSettings{8, 8, 8, 9});
}

TEST_CASE("next_steps: a stream well short of its bound is starved / so prefetch rises / near it the search stops") {
  ServiceProfile measured = profile();
  measured.cpu_s = 0.0001;
  measured.read_s = measured.transform_s = measured.pin_s = 0.0001;  // the compute stream (333/s) is the lowest bound
  std::string stop;
  // 270 batches/s is 81% of the compute stream's 333: the stream waits for batches, which more in flight hide.
  const auto starved = detail::next_steps({measured, TuneSettings{1, 1, 1, 3}, 270.0, full_space(), 3}, stop);
  CHECK(stop.empty());
  REQUIRE(!starved.empty());
  CHECK(starved[0].settings == TuneSettings{1, 1, 1, 6});
  // 320 batches/s is 96% of it: the stream is the limit and no key moves it.
  const auto busy = detail::next_steps({measured, TuneSettings{1, 1, 1, 3}, 320.0, full_space(), 3}, stop);
  CHECK(busy.empty());
  CHECK(stop.find("compute limits the graph") != std::string::npos);
}

}  // TEST_SUITE
