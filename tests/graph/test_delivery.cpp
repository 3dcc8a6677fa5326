// What arrives: every sample once per epoch, in order when ordered, with the checksum the host sent,
// across a grid of concurrency x prefetch.
#include "graph_test_util.hpp"

using namespace feedgraph;

TEST_SUITE_BEGIN("graph");

TEST_CASE("every sample arrives exactly once per epoch / in order when ordered / over concurrency x prefetch") {
  for (int conc : {1, 2, 4})
    for (int prefetch : {1, 2, 8})
      for (bool ordered : {true, false}) {
        CAPTURE(conc);
        CAPTURE(prefetch);
        CAPTURE(ordered);
        const std::string extra = "concurrency: {read: " + std::to_string(conc) + ", transform: " + std::to_string(conc) +
                                  ", pin: " + std::to_string(conc) + "}\nprefetch: " + std::to_string(prefetch) +
                                  "\nordered: " + (ordered ? "true" : "false") + "\n";
        auto spec = parse_pipeline(fgtest::small_graph(100, 8, 2, extra), "grid.yaml");
        fgtest::Deliveries d;
        auto stats = run(spec, d.options());
        CHECK(stats.batches == 26);
        CHECK(stats.samples == 200);
        fgtest::check_exactly_once(d, 100, 2, ordered);
      }
}

TEST_CASE("the checksum of each delivered batch equals one computed outside the graph") {
  auto spec = parse_pipeline(fgtest::small_graph(40, 6, 1, "concurrency: {read: 3, transform: 2, pin: 2}\nprefetch: 3\n"),
                             "check.yaml");
  fgtest::Deliveries d;
  run(spec, d.options());
  REQUIRE(d.records.size() == 7);
  for (std::size_t i = 0; i < d.records.size(); ++i) {
    CAPTURE(i);
    CHECK(d.records[i].device_checksum == fgtest::expected_checksum(spec, d.ids[i], d.records[i].epoch));
  }
}

TEST_CASE("the serial twin delivers the same batches as the concurrent graph") {
  auto spec = parse_pipeline(fgtest::small_graph(50, 8, 1), "twin.yaml");
  fgtest::Deliveries a, b;
  run(spec, a.options());
  auto twin_stats = run(serial_twin(spec), b.options());
  CHECK(twin_stats.variant == "serial");
  REQUIRE(a.records.size() == b.records.size());
  for (std::size_t i = 0; i < a.records.size(); ++i) CHECK(a.records[i].device_checksum == b.records[i].device_checksum);
}

TEST_CASE("every transfer switch combination delivers every sample with matching checksums") {
  for (int mask = 0; mask < 16; ++mask) {
    CAPTURE(mask);
    const std::string extra = std::string("transfer: {pinned: ") + (mask & 1 ? "true" : "false") +
                              ", non_blocking: " + (mask & 2 ? "true" : "false") +
                              ", copy_stream: " + (mask & 4 ? "true" : "false") +
                              ", direct: " + (mask & 8 ? "true" : "false") + "}\n";
    auto spec = parse_pipeline(fgtest::small_graph(30, 4, 2, extra), "switches.yaml");
    fgtest::Deliveries d;
    run(spec, d.options());
    fgtest::check_exactly_once(d, 30, 2, true);
  }
}

TEST_CASE("edge shapes: prefetch above the batch count / a partial last batch / one sample / more workers than batches") {
  SUBCASE("prefetch larger than the number of batches") {
    auto spec = parse_pipeline(fgtest::small_graph(12, 4, 1, "prefetch: 16\nbuffers: {pinned: 9, device: 7}\n"), "p.yaml");
    fgtest::Deliveries d;
    run(spec, d.options());
    fgtest::check_exactly_once(d, 12, 1, true);
  }
  SUBCASE("samples not divisible by the batch size: the last batch is partial") {
    auto spec = parse_pipeline(fgtest::small_graph(10, 4, 1), "partial.yaml");
    fgtest::Deliveries d;
    run(spec, d.options());
    REQUIRE(d.records.size() == 3);
    CHECK(d.ids[2].size() == 2);
    fgtest::check_exactly_once(d, 10, 1, true);
  }
  SUBCASE("drop_last drops the partial batch") {
    auto spec = parse_pipeline(fgtest::small_graph(10, 4, 2, "drop_last: true\n"), "drop.yaml");
    fgtest::Deliveries d;
    auto stats = run(spec, d.options());
    CHECK(stats.batches == 4);
    CHECK(stats.samples == 16);
    for (const auto& ids : d.ids) CHECK(ids.size() == 4);
  }
  SUBCASE("a single sample") {
    auto spec = parse_pipeline(fgtest::small_graph(1, 4, 3), "one.yaml");
    fgtest::Deliveries d;
    run(spec, d.options());
    fgtest::check_exactly_once(d, 1, 3, true);
  }
  SUBCASE("concurrency above the batch count") {
    auto spec = parse_pipeline(fgtest::small_graph(8, 4, 1, "concurrency: {read: 16, transform: 16, pin: 16}\nprefetch: 8\n"),
                               "wide.yaml");
    fgtest::Deliveries d;
    run(spec, d.options());
    fgtest::check_exactly_once(d, 8, 1, true);
  }
}

TEST_CASE("thousands of one-sample batches through the smallest pools all arrive") {
  // Regression: the batch-state pool once ran dry for an instant when a finished batch gave its device
  // buffer back before its state, which crashed a sequencer under load (about 1 run in 3 at 200k batches).
  for (bool ordered : {true, false}) {
    CAPTURE(ordered);
    auto spec = parse_pipeline(
        "device: host\nbatch_size: 1\ndataset: {source: synthetic, samples: 20000, sample: {shape: [8], dtype: uint8}}\n"
        "prefetch: 2\nbuffers: {pinned: 1, device: 1}\nconcurrency: {read: 2, transform: 2, pin: 2}\n"
        "ordered: " + std::string(ordered ? "true" : "false") + "\n",
        "tiny.yaml");
    fgtest::Deliveries d;
    auto stats = run(spec, d.options());
    CHECK(stats.batches == 20000);
    fgtest::check_exactly_once(d, 20000, 1, ordered);
  }
}

TEST_CASE("a graph on one thread delivers every sample once in order over every transfer switch") {
  for (const char* transfer : {"{pinned: true}", "{pinned: true, direct: true}", "{pinned: false, non_blocking: false}",
                               "{pinned: false, non_blocking: false, copy_stream: false}"}) {
    CAPTURE(transfer);
    auto spec = parse_pipeline(fgtest::small_graph(100, 8, 2, std::string("threads: 1\nconcurrency: {read: 3, transform: 2, pin: 2}\n"
                                                                            "transfer: ") + transfer + "\n"),
                               "one-thread.yaml");
    fgtest::Deliveries d;
    run(spec, d.options());
    fgtest::check_exactly_once(d, 100, 2, true);
  }
}

TEST_SUITE_END();
