// Pipeline::run(fn): the engine calls the program's function with each batch, on its compute stream.
#include "../graph/graph_test_util.hpp"

using namespace feedgraph;

TEST_SUITE("embed") {

TEST_CASE("a push function sees every batch once in order with the bytes the host sent") {
  const PipelineSpec spec = parse_pipeline(fgtest::small_graph(30, 4, 2, "prefetch: 3\n"), "push.yaml");
  Pipeline pipeline(spec);
  std::vector<std::vector<std::int64_t>> ids;
  std::vector<std::uint64_t> sums;
  std::vector<std::int64_t> epochs;
  const RunStats stats = pipeline.run([&](DeviceBatch& batch, CUstream_st* stream) {
    CHECK(stream == nullptr);  // the host backend has no stream
    CHECK(batch.ticket() == static_cast<std::int64_t>(ids.size()));
    CHECK(batch.shape().size() == 4);
    ids.emplace_back(batch.sample_ids().begin(), batch.sample_ids().end());
    epochs.push_back(batch.epoch());
    sums.push_back(batch_checksum({batch.data(), batch.size_bytes()}, batch.sample_layout()->bytes()));
  });
  REQUIRE(ids.size() == 16);
  CHECK(stats.batches == 16);
  CHECK(stats.samples == 60);
  for (std::size_t i = 0; i < ids.size(); ++i) CHECK(sums[i] == fgtest::expected_checksum(spec, ids[i], epochs[i]));
  CHECK(pipeline.stats().samples == 60);
}

TEST_CASE("a push function that throws fails the run with a StageError from compute") {
  Pipeline pipeline = Pipeline::from_yaml(fgtest::small_graph(30, 4, 1), "throws.yaml");
  int calls = 0;
  try {
    pipeline.run([&](DeviceBatch& batch, CUstream_st*) {
      if (++calls == 3) throw std::runtime_error("loss is NaN at batch " + std::to_string(batch.ticket()));
    });
    FAIL("expected a StageError");
  } catch (const StageError& e) {
    CHECK(e.node() == "compute");
    CHECK(std::string(e.what()).find("loss is NaN at batch 2") != std::string::npos);
  }
  CHECK_THROWS_AS(pipeline.stats(), StageError);
}

TEST_CASE("a pipeline runs its own compute stage and an empty function is refused") {
  Pipeline pipeline = Pipeline::from_yaml(fgtest::small_graph(30, 4, 1), "own.yaml");
  const RunStats stats = pipeline.run();
  CHECK(stats.samples == 30);
  CHECK_THROWS_AS(pipeline.run(Pipeline::BatchFunction{}), Error);
}

}  // TEST_SUITE("embed")
