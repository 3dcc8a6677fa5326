// `faults:` — each injected failure ends the way the real one must: a named error or a run that goes on and
// delivers everything, never a crash or a hang, and nothing left behind.
#include <chrono>
#include <filesystem>
#include <set>

#include "../graph/graph_test_util.hpp"
#include "../temp_dir.hpp"

using namespace feedgraph;

namespace {

// fgtest::small_graph with a short watchdog: a fault test that hangs fails in seconds.
std::string graph(int samples, int batch, const std::string& extra) {
  std::string yaml = fgtest::small_graph(samples, batch, 1, extra);
  const std::string from = "watchdog_s: 20\n";
  yaml.replace(yaml.find(from), from.size(), "watchdog_s: 0.5\n");
  return yaml;
}

/// What `action` throws, as text; fails the test when it throws nothing or something that is not an Error.
template <class Fn>
std::string error_of(Fn&& action) {
  try {
    action();
  } catch (const Error& e) {
    return e.what();
  }
  FAIL("expected an error");
  return {};
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

void check_nothing_left() {
  const LiveResources live = live_resources();
  CHECK_MESSAGE(live.none(), live.text());
}

/// A records file of `samples` samples of 4 float32, for the faults that need files.
std::string records_file(const fgtest::TempDir& dir, int samples) {
  MakeDatasetOptions o;
  o.kind = "records";
  o.samples = samples;
  o.out = (dir.path() / "d.rec").string();
  o.sample = SampleLayout{{4}, DType::f32};
  make_dataset(o);
  return o.out;
}

std::string records_graph(const std::string& file, const std::string& dataset_extra, const std::string& extra) {
  return "device: host\nbatch_size: 4\nwatchdog_s: 5\ndataset: {source: records, path: '" + file + "'" +
         dataset_extra + "}\n" + extra;
}

}  // namespace

TEST_SUITE("faults") {
  TEST_CASE("faults: each kind is read with the keys it needs / and an incomplete one is an error at its line") {
    auto spec = parse_pipeline(graph(16, 4,
                                     "faults:\n"
                                     "  - {kind: throw, node: pin, batch: 2}\n"
                                     "  - {kind: stall, node: read, batch: 1, seconds: 0.25}\n"
                                     "  - {kind: trap, batch: 3}\n"
                                     "  - {kind: slow_consumer, seconds: 0.01, batch: 1}\n"
                                     "  - {kind: refuse_alloc, memory: device}\n"
                                     "  - {kind: vanish, batch: 2}\n"),
                               "f.yaml");
    REQUIRE(spec.faults.size() == 6);
    CHECK(spec.faults[0].kind == FaultSpec::Kind::throw_error);
    CHECK(spec.faults[0].node == "pin");
    CHECK(spec.faults[0].batch == 2);
    CHECK(spec.faults[1].seconds == 0.25);
    CHECK(spec.faults[2].kind == FaultSpec::Kind::trap);
    CHECK(spec.faults[3].text() == "slow consumer: +0.01 s per batch from batch 1");
    CHECK(spec.faults[4].memory == "device");
    CHECK(spec.faults[5].text() == "the source's files vanish at batch 2");
    CHECK(parse_pipeline(graph(16, 4, ""), "none.yaml").faults.empty());

    const std::string missing = error_of([] { parse_pipeline(graph(16, 4, "faults:\n  - {kind: stall, batch: 1}\n"), "m.yaml"); });
    CAPTURE(missing);
    CHECK(has(missing, "m.yaml:10:5"));
    CHECK(has(missing, "faults[0]"));
    CHECK(has(missing, "a `stall` fault needs `node`"));
    const std::string extra_key =
        error_of([] { parse_pipeline(graph(16, 4, "faults: [{kind: trap, batch: 1, node: read}]\n"), "k.yaml"); });
    CHECK(has(extra_key, "faults[0].node"));
    const std::string bad_kind = error_of([] { parse_pipeline(graph(16, 4, "faults: [{kind: explode}]\n"), "b.yaml"); });
    CHECK(has(bad_kind, "explode"));
    CHECK(has(bad_kind, "refuse_alloc"));
  }

  TEST_CASE("a stall shorter than watchdog_s delays the run / which then delivers every sample once") {
    for (const char* node : {"read", "transform", "pin", "copy", "compute"}) {
      CAPTURE(node);
      auto spec = parse_pipeline(graph(48, 4, std::string("faults: [{kind: stall, node: ") + node +
                                                  ", batch: 3, seconds: 0.2}]\n"),
                                 "stall.yaml");
      fgtest::Deliveries d;
      const auto stats = run(spec, d.options());
      fgtest::check_exactly_once(d, 48, 1, true);
      CHECK(stats.wall_s >= 0.2);
      check_nothing_left();
    }
  }

  TEST_CASE("the watchdog names each node's state: busy / waiting for input / waiting for which token") {
    // transform stalls on batch 2 with one worker, holding the only host buffer, so read waits for it and
    // nothing is behind the stall. With two buffers, batch 3 could still pass the transform first: a oneTBB
    // function_node does not keep arrival order (a message that arrives as a worker finishes may take the
    // freed slot before the queued one), and batch 3 would wait in front of pin, "held back for ticket order".
    auto spec = parse_pipeline(graph(80, 4,
                                     "prefetch: 1\nconcurrency: {read: 1, transform: 1, pin: 1}\n"
                                     "faults: [{kind: stall, node: transform, batch: 2}]\n"),
                               "stall.yaml");
    const auto start = std::chrono::steady_clock::now();
    const std::string what = error_of([&] { run(spec); });
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
    CAPTURE(what);
    CHECK(has(what, "no progress for"));
    CHECK(has(what, "(watchdog_s: 0.5)"));
    CHECK(has(what, "read waiting for a host buffer (0 of 1 free)"));
    CHECK(has(what, "transform busy with 1 batch(es), oldest batch 2"));
    CHECK(has(what, "pin waiting for input"));
    CHECK(has(what, "copy waiting for input"));
    CHECK(has(what, "compute waiting for input"));
    check_nothing_left();
  }

  TEST_CASE("the watchdog names the device buffer a stalled compute holds back the copy for") {
    // compute stalls on batch 1 holding a device buffer; the other buffer holds batch 2, so batch 3 waits
    // in front of the copy for a device buffer.
    auto spec = parse_pipeline(graph(80, 4, "buffers: {device: 2}\nfaults: [{kind: stall, node: compute, batch: 1}]\n"),
                               "stall.yaml");
    const std::string what = error_of([&] { run(spec); });
    CAPTURE(what);
    CHECK(has(what, "compute waiting on the device for 1 batch(es), oldest batch 1"));
    CHECK(has(what, "batch(es) queued, oldest batch 3"));
    CHECK(has(what, "waiting for a device buffer (0 of 2 free)"));
    check_nothing_left();
  }

  TEST_CASE("a device trap ends the run with an error naming the compute and the batch / never a hang") {
    auto spec = parse_pipeline(graph(80, 4, "faults: [{kind: trap, batch: 6}]\n"), "trap.yaml");
    try {
      run(spec);
      FAIL("expected a StageError");
    } catch (const StageError& e) {
      CHECK(e.node() == "compute");
      CHECK(has(e.message(), "device fault"));
    }
    check_nothing_left();
  }

  TEST_CASE("a slow consumer slows the run and loses nothing: backpressure / not a stall") {
    // 0.04 s per batch, 12 batches: the run takes about 0.5 s, as long as the watchdog's limit, but every
    // batch is progress, so the watchdog stays quiet.
    auto spec = parse_pipeline(graph(48, 4, "faults: [{kind: slow_consumer, seconds: 0.04}]\n"), "slow.yaml");
    fgtest::Deliveries d;
    const auto stats = run(spec, d.options());
    fgtest::check_exactly_once(d, 48, 1, true);
    CHECK(stats.compute_s >= 12 * 0.04);
    check_nothing_left();
  }

  TEST_CASE("a refused allocation is an error naming the plan / and frees what was allocated before it") {
    for (const char* memory : {"host", "pinned", "device"}) {
      CAPTURE(memory);
      auto spec = parse_pipeline(graph(32, 4, std::string("faults: [{kind: refuse_alloc, memory: ") + memory + "}]\n"),
                                 "alloc.yaml");
      const std::string what = error_of([&] { run(spec); });
      CHECK(has(what, "out of host memory while allocating the run's buffers"));
      CHECK(has(what, format_bytes(plan(spec).memory.pinned_bytes) + " pinned"));
      check_nothing_left();
      spec.faults.clear();
      CHECK(run(spec).samples == 32);
    }
  }

  TEST_CASE("files that vanish mid-run: fail names the file / skip counts every sample after / the cache is immune") {
    fgtest::TempDir dir;
    const std::string file = records_file(dir, 40);
    {
      // One read worker: with several, batch 4 can meet the vanished file before batch 3 does, and the run
      // reports the first error it meets.
      auto spec = parse_pipeline(records_graph(file, "", "concurrency: {read: 1}\nfaults: [{kind: vanish, batch: 3}]\n"),
                                 "v.yaml");
      try {
        run(spec);
        FAIL("expected a StageError");
      } catch (const StageError& e) {
        CHECK(e.node() == "read");
        CHECK(e.batch() == 3);
        CHECK(has(e.message(), file));
        CHECK(has(e.message(), "No such file or directory"));
      }
      check_nothing_left();
    }
    {
      auto spec = parse_pipeline(records_graph(file, ", on_error: skip, max_skipped: 1000",
                                               "faults: [{kind: vanish, batch: 3}]\n"),
                                 "v.yaml");
      fgtest::Deliveries d;
      const auto stats = run(spec, d.options());
      CHECK(stats.skipped == 40 - 12);
      CHECK(stats.samples == 12);
      std::set<std::int64_t> seen;
      for (const auto& ids : d.ids) seen.insert(ids.begin(), ids.end());
      CHECK(seen == std::set<std::int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
      REQUIRE(!stats.skipped_samples.empty());
      CHECK(has(stats.skipped_samples.front().where, file));
    }
    {
      auto spec = parse_pipeline(records_graph(file, ", cache: true", "faults: [{kind: vanish, batch: 3}]\n"), "v.yaml");
      fgtest::Deliveries d;
      run(spec, d.options());
      fgtest::check_exactly_once(d, 40, 1, true);
    }
    check_nothing_left();
  }

  TEST_CASE("files deleted for real mid-run: an images dataset skips and names each one / the rest arrive") {
    fgtest::TempDir dir;
    MakeDatasetOptions o;
    o.kind = "images";
    o.samples = 24;
    o.out = (dir.path() / "img").string();
    o.width = o.height = 16;
    const auto made = make_dataset(o);
    // One host buffer, one pinned slot, one device buffer: after batch 0 is done, at most batches 1..3 were read.
    auto spec = parse_pipeline("device: host\nbatch_size: 4\nprefetch: 1\nconcurrency: {read: 1, transform: 1, pin: 1}\n"
                               "buffers: {pinned: 1, device: 1}\n"
                               "dataset: {source: images, path: '" + o.out + "', on_error: skip, max_skipped: 100}\n"
                               "transforms: [decode_jpeg, {center_crop: {size: 16}}]\n",
                               "real.yaml");
    // After the first batch, delete every file: batches already read keep their bytes, later ones find none.
    RunOptions options;
    std::set<std::int64_t> delivered;
    options.on_batch = [&](const BatchRecord& r) {
      delivered.insert(r.sample_ids.begin(), r.sample_ids.end());
      if (r.ticket == 0)
        for (const auto& f : made.files) std::filesystem::remove(f);
    };
    const auto stats = run(spec, options);
    CHECK(static_cast<std::int64_t>(delivered.size()) == stats.samples);
    CHECK(stats.samples + stats.skipped == 24);
    CHECK(stats.skipped >= 24 - 4 * 4);
    REQUIRE(stats.skipped_samples.size() == static_cast<std::size_t>(stats.skipped));
    for (const auto& s : stats.skipped_samples) {
      CHECK(!delivered.contains(s.id));  // every sample arrived or was skipped, never both
      CHECK(has(s.where, o.out));
      CHECK(has(s.message, "No such file or directory"));
    }
    check_nothing_left();
  }
}
