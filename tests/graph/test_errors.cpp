// Failures are reported with their node, batch and message, and never hang.
#include <chrono>

#include "graph_test_util.hpp"

using namespace feedgraph;

TEST_SUITE_BEGIN("graph");

TEST_CASE("a stage throwing at any node cancels the run and is reported with its node and batch") {
  for (const char* node : {"read", "transform", "pin", "copy", "compute"})
    for (bool ordered : {true, false}) {
      CAPTURE(node);
      CAPTURE(ordered);
      auto spec = parse_pipeline(fgtest::small_graph(80, 4, 1, std::string("ordered: ") + (ordered ? "true" : "false") +
                                                                   "\nconcurrency: {read: 3, transform: 2, pin: 2}\n"
                                                                   "faults: [{kind: throw, node: " + node + ", batch: 5}]\n"),
                                 "fault.yaml");
      try {
        run(spec);
        FAIL("expected a StageError");
      } catch (const StageError& e) {
        CHECK(e.node() == node);
        CHECK(e.batch() == 5);
        CHECK(e.message().find("injected fault") != std::string::npos);
      }
    }
}

namespace {
class ThrowOnSample final : public Transform {
 public:
  bool in_place() const override { return true; }
  void apply(const SampleView& in, SampleOut& out, const SampleContext& ctx) const override {
    if (ctx.id == 13) throw std::runtime_error("cannot transform sample 13");
    (void)out.allocate(in.layout);
  }
};
class WrongChecksum final : public ComputeStage {
 public:
  void launch(const ComputeLaunch& l) override { *l.checksum = 42; }
};
}  // namespace

TEST_CASE("a throwing transform is reported with node / batch / sample and its own message") {
  register_transform("test_throw_on_13", [](const StageOptions&, const StageContext&) {
    return std::make_unique<ThrowOnSample>();
  });
  auto spec = parse_pipeline(
      "device: host\nbatch_size: 4\ndataset: {source: synthetic, samples: 32, sample: {shape: [4]}}\n"
      "transforms: [test_throw_on_13]\n",
      "t.yaml");
  try {
    run(spec);
    FAIL("expected a StageError");
  } catch (const StageError& e) {
    CHECK(e.node() == "transform");
    CHECK(e.batch() == 3);
    CHECK(e.sample() == 13);
    CHECK(e.message() == "cannot transform sample 13");
    CHECK(std::string(e.what()).find("transform") != std::string::npos);
  }
}

TEST_CASE("verify: a device checksum that differs from the host's is an error naming the batch") {
  register_compute("test_wrong_checksum", [](const StageOptions&, const StageContext&) {
    return std::make_unique<WrongChecksum>();
  });
  auto spec = parse_pipeline(
      "device: host\nbatch_size: 4\ndataset: {source: synthetic, samples: 16, sample: {shape: [4]}}\n"
      "compute: {kernel: test_wrong_checksum}\n",
      "v.yaml");
  try {
    run(spec);
    FAIL("expected a verify error");
  } catch (const StageError& e) {
    CHECK(e.node() == "compute");
    CHECK(e.batch() == 0);
    CHECK(e.message().find("verify") != std::string::npos);
  }
  spec.verify = false;
  CHECK_NOTHROW(run(spec));
}

TEST_CASE("the watchdog turns a stall into an error naming the stalled node") {
  auto spec = parse_pipeline(fgtest::small_graph(40, 4, 1, "faults: [{kind: stall, node: transform, batch: 2}]\n"),
                             "stall.yaml");
  spec.watchdog_s = 0.5;
  const auto start = std::chrono::steady_clock::now();
  try {
    run(spec);
    FAIL("expected a StallError");
  } catch (const StallError& e) {
    const std::string what = e.what();
    CHECK(what.find("no progress") != std::string::npos);
    CHECK(what.find("transform busy with 1 batch(es), oldest batch 2") != std::string::npos);
  }
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
}

TEST_CASE("an error in the caller's on_batch callback ends the run with that error") {
  auto spec = parse_pipeline(fgtest::small_graph(40, 4, 1), "cb.yaml");
  RunOptions o;
  o.on_batch = [](const BatchRecord& r) {
    if (r.ticket == 3) throw std::runtime_error("consumer refused batch 3");
  };
  CHECK_THROWS_WITH_AS(run(spec, o), doctest::Contains("consumer refused batch 3"), StageError);
}

TEST_SUITE_END();
