// dataset.cache: read once before the run, then served from memory; without transforms or shuffle the copy
// reads batches straight out of it.
#include "graph_test_util.hpp"

using namespace feedgraph;

namespace {
std::string cached(const std::string& extra) {
  std::string yaml = fgtest::small_graph(100, 8, 3, extra);
  yaml.replace(yaml.find("seed: 7}"), 8, "seed: 7, cache: true}");
  return yaml;
}
std::string without_transforms(std::string yaml) {
  yaml.erase(yaml.find("transforms:"), std::string("transforms: [{normalize: {mean: 0.5, std: 0.25}}]\n").size());
  return yaml;
}
}  // namespace

TEST_SUITE_BEGIN("graph");

TEST_CASE("batches straight from the cache arrive exactly once with matching checksums") {
  for (const char* transfer : {"transfer: {pinned: true}\n", "transfer: {pinned: true, direct: true}\n",
                               "transfer: {pinned: false}\n"}) {
    CAPTURE(transfer);
    const auto spec = parse_pipeline(without_transforms(cached(std::string("prefetch: 3\n") + transfer)), "c.yaml");
    CHECK(spec.batches_from_cache());
    CHECK(spec.pinned_slots() == 0);
    const auto p = plan(spec);
    CHECK(p.memory.cache_bytes == 100u * 3 * 8 * 8 * 4);
    fgtest::Deliveries d;
    const auto stats = run(spec, d.options());
    fgtest::check_exactly_once(d, 100, 3, true);
    for (std::size_t i = 0; i < d.records.size(); ++i)
      CHECK(d.records[i].host_checksum == fgtest::expected_checksum(spec, d.ids[i], d.records[i].epoch));
    CHECK(stats.cache_fill_s > 0);
    CHECK(stats.peak_memory_bytes <= p.memory.total());
  }
}

TEST_CASE("a cache under host transforms copies each sample out before transforming it") {
  const auto spec = parse_pipeline(cached("prefetch: 2\n"), "t.yaml");
  CHECK_FALSE(spec.batches_from_cache());
  fgtest::Deliveries d;
  run(spec, d.options());
  fgtest::check_exactly_once(d, 100, 3, true);
  // normalize ran once per epoch on a copy: the cache still holds the source's bytes.
  for (std::size_t i = 0; i < d.records.size(); ++i)
    CHECK(d.records[i].host_checksum == fgtest::expected_checksum(spec, d.ids[i], d.records[i].epoch));
}

TEST_CASE("the cache counts against memory_budget") {
  // Checked through the plan: a fixed-size source is fine, and the cache is counted against the budget.
  auto spec = parse_pipeline(without_transforms(cached("memory_budget: 64KiB\n")), "b.yaml");
  CHECK_THROWS_WITH_AS(plan(spec), doctest::Contains("memory_budget"), Error);
}

TEST_SUITE_END();
