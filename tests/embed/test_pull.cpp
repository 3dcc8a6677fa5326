// Pipeline::batches(): a training loop pulls device batches. Every batch arrives once and intact, in order,
// epochs visible; a consumer that holds batches holds the graph back without a stall or a deadlock; stop()
// and destruction mid-epoch end cleanly; a run's error reaches the loop.
#include <chrono>
#include <thread>

#include "../graph/graph_test_util.hpp"

using namespace feedgraph;

namespace {

/// What a loop saw of one pulled batch.
struct Pulled {
  std::int64_t ticket, epoch, index, samples;
  std::vector<std::int64_t> ids, labels, shape;
  std::uint64_t checksum;  // of the bytes the batch held, taken the way the host does
};

Pulled look(const DeviceBatch& b) {
  return Pulled{b.ticket(),
                b.epoch(),
                b.index(),
                b.samples(),
                {b.sample_ids().begin(), b.sample_ids().end()},
                {b.host_labels().begin(), b.host_labels().end()},
                {b.shape().begin(), b.shape().end()},
                batch_checksum({b.data(), b.size_bytes()}, b.sample_layout()->bytes())};
}

std::string graph(int samples, int batch, int epochs, const std::string& extra = "", const std::string& watchdog = "20") {
  std::string yaml = fgtest::small_graph(samples, batch, epochs, extra);
  yaml.replace(yaml.find("watchdog_s: 20"), 14, "watchdog_s: " + watchdog);
  // Labels: the synthetic source's `classes` makes sample id % classes the label.
  yaml.replace(yaml.find("seed: 7}"), 8, "seed: 7, classes: 5}");
  return yaml;
}

}  // namespace

TEST_SUITE("embed") {

TEST_CASE("a pulling loop gets every sample once per epoch in order with the bytes the host sent") {
  const PipelineSpec spec = parse_pipeline(graph(50, 8, 3, "prefetch: 3\nbuffers: {device: 2}\n"), "pull.yaml");
  Pipeline pipeline(spec);
  CHECK(pipeline.plan().batches == 21);
  std::vector<Pulled> seen;
  for (DeviceBatch& batch : pipeline.batches()) {
    REQUIRE(batch);
    CHECK(batch.dtype() == DType::f32);
    CHECK(batch.size_bytes() == static_cast<std::size_t>(batch.samples()) * 3 * 8 * 8 * 4);
    // On the host backend, labels() is host memory too: the same values.
    for (std::int64_t j = 0; j < batch.samples(); ++j) CHECK(batch.labels()[j] == batch.host_labels()[static_cast<std::size_t>(j)]);
    seen.push_back(look(batch));
  }
  REQUIRE(seen.size() == 21);
  std::map<std::int64_t, std::set<std::int64_t>> per_epoch;
  for (std::size_t i = 0; i < seen.size(); ++i) {
    const Pulled& p = seen[i];
    CAPTURE(i);
    CHECK(p.ticket == static_cast<std::int64_t>(i));
    CHECK(p.epoch == p.ticket / 7);
    CHECK(p.index == p.ticket % 7);
    CHECK(p.shape == std::vector<std::int64_t>{p.samples, 3, 8, 8});
    CHECK(p.samples == (p.index == 6 ? 2 : 8));
    for (std::size_t j = 0; j < p.ids.size(); ++j) {
      CHECK(p.labels[j] == p.ids[j] % 5);
      CHECK(per_epoch[p.epoch].insert(p.ids[j]).second);
    }
    CHECK(p.checksum == fgtest::expected_checksum(spec, p.ids, p.epoch));
  }
  for (const auto& [epoch, ids] : per_epoch) CHECK(ids.size() == 50);
  const RunStats stats = pipeline.stats();
  CHECK(stats.batches == 21);
  CHECK(stats.samples == 150);
}

TEST_CASE("pulled batches carry device_transforms output and the run can be repeated") {
  const std::string yaml =
      "name: u8\ndevice: host\nbatch_size: 4\nepochs: 1\n"
      "dataset: {source: synthetic, samples: 10, sample: {shape: [6, 5, 3], dtype: uint8}}\n"
      "device_transforms: [to_chw, {normalize: {mean: 100, std: 50}}]\nwatchdog_s: 20\n";
  Pipeline pipeline = Pipeline::from_yaml(yaml, "u8.yaml");
  for (int pass = 0; pass < 2; ++pass) {
    CAPTURE(pass);
    std::int64_t samples = 0;
    for (DeviceBatch& batch : pipeline.batches()) {
      CHECK(batch.dtype() == DType::f32);
      CHECK(batch.shape()[1] == 3);  // channels first after to_chw
      CHECK(batch.shape()[2] == 6);
      CHECK(batch.shape()[3] == 5);
      samples += batch.samples();
    }
    CHECK(samples == 10);
    CHECK(pipeline.stats().samples == 10);
  }
}

TEST_CASE("a consumer holding every device buffer holds the graph back and the watchdog stays quiet") {
  Pipeline pipeline(parse_pipeline(graph(64, 4, 1, "prefetch: 4\nbuffers: {device: 3}\n", "0.3"), "hold.yaml"));
  std::vector<DeviceBatch> held;
  auto range = pipeline.batches();
  auto it = range.begin();
  held.push_back(std::move(*it));  // moved out: the loop no longer owns them
  held.push_back(std::move(*++it));
  held.push_back(std::move(*++it));
  // Three buffers held and a fourth batch in the iterator would need a fourth buffer: the graph waits.
  std::this_thread::sleep_for(std::chrono::milliseconds(900));  // three watchdog periods
  const Progress p = pipeline.progress();
  CHECK(p.running);
  CHECK(p.batches == 3);
  held.clear();  // let go: the graph goes on
  std::int64_t rest = 0;
  for (++it; it != range.end(); ++it) ++rest;
  CHECK(rest == 13);
  CHECK(pipeline.stats().batches == 16);
}

TEST_CASE("a consumer that holds every device buffer and asks for another gets a StallError naming the cause") {
  // Nothing can come: the loop would wait for ever. The watchdog says why instead.
  Pipeline pipeline(parse_pipeline(graph(64, 4, 1, "prefetch: 2\nbuffers: {device: 2}\n", "0.4"), "greedy.yaml"));
  std::vector<DeviceBatch> held;
  auto range = pipeline.batches();
  auto it = range.begin();
  held.push_back(std::move(*it));
  held.push_back(std::move(*++it));
  CHECK_THROWS_WITH_AS(++it, doctest::Contains("holds every device buffer (2 of 2) and waits for another batch"),
                       StallError);
  held.clear();
  CHECK_THROWS_AS(pipeline.stats(), StallError);
}

TEST_CASE("stop ends a pulling run mid-epoch and stats count what was delivered") {
  Pipeline pipeline(parse_pipeline(graph(400, 4, 5, "prefetch: 4\n"), "stop.yaml"));
  int taken = 0;
  for (DeviceBatch& batch : pipeline.batches()) {
    CHECK(batch.ticket() == taken);
    if (++taken == 7) break;
  }
  pipeline.stop();
  const RunStats stats = pipeline.stats();
  CHECK(stats.batches >= 7);
  CHECK(stats.batches < 500);
  CHECK_FALSE(pipeline.progress().running);
  // A new run starts from the first batch.
  auto range = pipeline.batches();
  CHECK(range.begin()->ticket() == 0);
}

TEST_CASE("destroying a pipeline mid-epoch while the loop holds a batch returns") {
  DeviceBatch kept;
  {
    Pipeline pipeline(parse_pipeline(graph(400, 4, 5, "prefetch: 4\n"), "destroy.yaml"));
    auto range = pipeline.batches();
    kept = std::move(*range.begin());
    CHECK(kept);
  }  // the graph is stopped and joined here; the test's timeout is what a hang would hit
  kept.release();  // after its pipeline is gone: nothing to give back, and no crash
  CHECK_FALSE(kept);
}

TEST_CASE("a held batch stays readable and unchanged after the next run starts and after its pipeline is gone") {
  // A DLPack consumer (a torch tensor) may outlive the loop, the run and the Pipeline: the batch's memory
  // must stay until it is let go. ASan reports a read of freed memory here if it does not.
  const PipelineSpec spec = parse_pipeline(graph(40, 4, 1, "prefetch: 2\nbuffers: {device: 2}\n"), "held.yaml");
  std::vector<DeviceBatch> kept;
  std::vector<Pulled> first;
  {
    Pipeline pipeline(spec);
    {
      auto range = pipeline.batches(streams_later);
      auto it = range.begin();
      kept.push_back(std::move(*it));
      first.push_back(look(kept.back()));
    }  // the range goes: the run is stopped when the next one starts
    // A second run while the first run's batch is held: it gets its own buffers.
    int n = 0;
    for (DeviceBatch& b : pipeline.batches()) {
      if (n == 0) CHECK(b.data() != kept[0].data());
      ++n;
    }
    CHECK(n == 10);
    auto range = pipeline.batches(streams_later);
    kept.push_back(std::move(*range.begin()));
    first.push_back(look(kept.back()));
  }  // the pipeline is gone; both batches are still held
  REQUIRE(kept.size() == 2);
  for (std::size_t i = 0; i < kept.size(); ++i) {
    const Pulled now = look(kept[i]);
    CHECK(now.checksum == first[i].checksum);
    CHECK(now.ids == first[i].ids);
    CHECK(now.checksum == fgtest::expected_checksum(spec, now.ids, 0));
  }
  kept.clear();
  CHECK(live_resources().none());
}

TEST_CASE("ready_within says when the next batch can be taken without blocking") {
  Pipeline pipeline(parse_pipeline(graph(8, 4, 1, "prefetch: 1\n"), "ready.yaml"));
  auto range = pipeline.batches(streams_later);
  bool ready = false;
  for (int i = 0; i < 200 && !ready; ++i) ready = range.ready_within(std::chrono::milliseconds(50));
  REQUIRE(ready);
  auto it = range.begin();
  REQUIRE(it != range.end());
  DeviceBatch b = std::move(*it);
  b.wait_on(nullptr);  // the host backend has no streams: a no-op that must not throw
  b.release();
  ++it;
  CHECK(it != range.end());
  ++it;
  CHECK(it == range.end());
  CHECK(range.ready_within(std::chrono::milliseconds(0)));  // ended: never blocks
}

TEST_CASE("stats are refused while batches remain and batches refuses a second run in progress") {
  Pipeline pipeline(parse_pipeline(graph(40, 4, 1), "busy.yaml"));
  CHECK_THROWS_WITH_AS(pipeline.stats(), doctest::Contains("has not run yet"), Error);
  auto range = pipeline.batches();
  auto it = range.begin();
  CHECK_THROWS_WITH_AS(pipeline.stats(), doctest::Contains("batches remain"), Error);
  CHECK_THROWS_WITH_AS(pipeline.batches(), doctest::Contains("still in progress"), Error);
  int n = 0;
  for (; it != range.end(); ++it) ++n;
  CHECK(n == 10);
}

TEST_CASE("an error in the graph reaches the pulling loop as the StageError the command reports") {
  Pipeline pipeline(parse_pipeline(graph(200, 4, 1, "prefetch: 4\nfaults: [{kind: throw, node: transform, batch: 9}]\n"),
                                   "fault.yaml"));
  int taken = 0;
  try {
    for (DeviceBatch& batch : pipeline.batches()) {
      CHECK(batch.ticket() == taken);
      ++taken;
    }
    FAIL("expected a StageError");
  } catch (const StageError& e) {
    CHECK(e.node() == "transform");
    CHECK(std::string(e.what()).find("injected fault in transform at batch 9") != std::string::npos);
  }
  CHECK(taken <= 9);
  CHECK_THROWS_AS(pipeline.stats(), StageError);
}

TEST_CASE("a stalled stage under a pulling loop ends in a StallError not a hang") {
  Pipeline pipeline(parse_pipeline(graph(200, 4, 1, "prefetch: 2\nfaults: [{kind: stall, node: read, batch: 5}]\n", "0.5"),
                                   "stall.yaml"));
  int taken = 0;
  CHECK_THROWS_AS(
      [&] {
        for (DeviceBatch& batch : pipeline.batches()) {
          (void)batch;
          ++taken;
        }
      }(),
      StallError);
  CHECK(taken == 5);
}

}  // TEST_SUITE("embed")
