// Bad input data under `on_error`: fail names the file and offset; skip leaves the sample out, counts and
// reports it, and gives up past max_skipped. Never a crash, never a hang.
#include <set>

#include "graph_test_util.hpp"

using namespace feedgraph;

namespace {

// Samples whose id ends in 3 are corrupt, like a bad record in a shard file.
class FlakySource final : public Source {
 public:
  SampleLayout layout() const override { return {{4}, DType::f32}; }
  std::int64_t size() const override { return 100; }
  std::int64_t label(std::int64_t id) const override { return id % 5; }
  std::string where(std::int64_t id) const override { return "flaky.rec offset " + std::to_string(64 + 16 * id); }
  void read(std::int64_t id, SampleOut& out) const override {
    if (id % 10 == 3) throw DataError(where(id), "bad record checksum");
    auto bytes = out.allocate(layout());
    const float v[4] = {float(id), 1, 2, 3};
    std::memcpy(bytes.data(), v, sizeof v);
  }
};

// A transform that rejects ids ending in 7 without knowing where they came from.
class PickyTransform final : public Transform {
 public:
  bool in_place() const override { return true; }
  void apply(const SampleView& in, SampleOut& out, const SampleContext& ctx) const override {
    if (ctx.id % 10 == 7) throw DataError("", "cannot decode");
    (void)out.allocate(in.layout);
  }
};

void register_flaky() {
  register_source("test_flaky", [](const StageOptions&, const StageContext&) { return std::make_unique<FlakySource>(); });
  register_transform("test_picky", [](const StageOptions&, const StageContext&) {
    return std::make_unique<PickyTransform>();
  });
}

std::string flaky_graph(const std::string& dataset_extra, const std::string& extra = "") {
  return "device: host\nbatch_size: 8\nepochs: 2\nwatchdog_s: 20\n"
         "dataset: {source: test_flaky" + dataset_extra + "}\n"
         "concurrency: {read: 3, transform: 2}\n" + extra;
}

}  // namespace

TEST_SUITE_BEGIN("graph");

TEST_CASE("on_error fail ends the run naming the file and offset of the bad sample") {
  register_flaky();
  try {
    run(parse_pipeline(flaky_graph(""), "bad.yaml"));
    FAIL("expected a StageError");
  } catch (const StageError& e) {
    CHECK(e.node() == "read");
    CHECK(e.sample() % 10 == 3);  // three readers: whichever bad sample was met first
    CHECK(std::string(e.what()).find("flaky.rec offset " + std::to_string(64 + 16 * e.sample())) != std::string::npos);
    CHECK(std::string(e.what()).find("bad record checksum") != std::string::npos);
  }
}

TEST_CASE("on_error skip leaves bad samples out and reports each with its file and offset") {
  register_flaky();
  fgtest::Deliveries d;
  const auto stats = run(parse_pipeline(flaky_graph(", on_error: skip, max_skipped: 100"), "skip.yaml"), d.options());
  CHECK(stats.skipped == 20);  // 10 per epoch
  CHECK(stats.samples == 180);
  REQUIRE(stats.skipped_samples.size() == 20);
  std::set<std::int64_t> bad;
  for (const auto& s : stats.skipped_samples) {
    bad.insert(s.id);
    CHECK(s.where == "flaky.rec offset " + std::to_string(64 + 16 * s.id));
    CHECK(s.message == "bad record checksum");
  }
  CHECK(bad.size() == 10);
  std::multiset<std::int64_t> seen;
  for (std::size_t b = 0; b < d.ids.size(); ++b) {
    CHECK(d.records[b].host_checksum == d.records[b].device_checksum);
    for (std::size_t j = 0; j < d.ids[b].size(); ++j) {
      seen.insert(d.ids[b][j]);
      CHECK(d.labels[b][j] == d.ids[b][j] % 5);
    }
  }
  for (std::int64_t id = 0; id < 100; ++id) CHECK(seen.count(id) == (id % 10 == 3 ? 0u : 2u));
}

TEST_CASE("a transform's bad sample is skipped and located from the source") {
  register_flaky();
  const auto stats = run(parse_pipeline(flaky_graph(", on_error: skip", "transforms: [test_picky]\n"), "t.yaml"));
  CHECK(stats.skipped == 40);
  CHECK(stats.samples == 160);
  bool found = false;
  for (const auto& s : stats.skipped_samples) {
    if (s.id == 17) {
      found = true;
      CHECK(s.where == "flaky.rec offset 336");
      CHECK(s.message == "cannot decode");
    }
  }
  CHECK(found);
}

TEST_CASE("on_error skip gives up once more than max_skipped samples were bad") {
  register_flaky();
  try {
    run(parse_pipeline(flaky_graph(", on_error: skip, max_skipped: 4"), "max.yaml"));
    FAIL("expected an error past max_skipped");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("max_skipped (4)") != std::string::npos);
    CHECK(std::string(e.what()).find("flaky.rec offset") != std::string::npos);
  }
}

TEST_CASE("a cached dataset serves the same batches as the source with bad samples still skipped") {
  register_flaky();
  fgtest::Deliveries plain, cached;
  const auto a = run(parse_pipeline(flaky_graph(", on_error: skip, shuffle: true"), "p.yaml"), plain.options());
  const auto b = run(parse_pipeline(flaky_graph(", on_error: skip, shuffle: true, cache: true"), "c.yaml"), cached.options());
  CHECK(a.skipped == b.skipped);
  CHECK(plain.ids == cached.ids);
  REQUIRE(plain.records.size() == cached.records.size());
  for (std::size_t i = 0; i < plain.records.size(); ++i) CHECK(plain.records[i].host_checksum == cached.records[i].host_checksum);
}

TEST_SUITE_END();
