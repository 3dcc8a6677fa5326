// The order samples arrive in: the per-epoch shuffle and the shards. Both are functions of (seed, epoch,
// position) alone, so concurrency never changes a batch and ranks never overlap.
#include <algorithm>
#include <set>

#include "graph_test_util.hpp"
#include "samples/sample_order.hpp"

using namespace feedgraph;

namespace {

std::vector<std::vector<std::int64_t>> batches_of(const std::string& yaml) {
  fgtest::Deliveries d;
  run(parse_pipeline(yaml, "order.yaml"), d.options());
  return d.ids;
}

}  // namespace

TEST_SUITE_BEGIN("graph");

TEST_CASE("a shuffled epoch is a permutation of the dataset and each epoch differs") {
  for (std::int64_t n : {1, 2, 7, 64, 1000, 4097}) {
    const detail::SampleOrder order(n, true, 42, ShardSpec{});
    REQUIRE(order.size() == n);
    std::vector<std::int64_t> e0, e1;
    for (std::int64_t p = 0; p < n; ++p) {
      e0.push_back(order.at(0, p));
      e1.push_back(order.at(1, p));
    }
    std::vector<std::int64_t> sorted = e0;
    std::sort(sorted.begin(), sorted.end());
    for (std::int64_t i = 0; i < n; ++i) CHECK(sorted[static_cast<std::size_t>(i)] == i);
    if (n >= 64) CHECK(e0 != e1);
  }
}

TEST_CASE("the shuffle depends on the seed and not on anything else") {
  const detail::SampleOrder a(500, true, 1, ShardSpec{}), b(500, true, 1, ShardSpec{}), c(500, true, 2, ShardSpec{});
  int same = 0;
  for (std::int64_t p = 0; p < 500; ++p) {
    CHECK(a.at(3, p) == b.at(3, p));
    same += a.at(3, p) == c.at(3, p);
  }
  CHECK(same < 50);
}

TEST_CASE("shards are disjoint and cover the dataset for 1 / 2 / 3 and 7 ranks") {
  for (bool shuffle : {false, true}) {
    for (int count : {1, 2, 3, 7}) {
      for (std::int64_t n : {84, 100}) {  // 84 divides by every count; 100 does not
        std::multiset<std::int64_t> pad_union;
        std::multiset<std::int64_t> drop_union;
        for (int r = 0; r < count; ++r) {
          const detail::SampleOrder pad(n, shuffle, 9, ShardSpec{false, r, count, ShardSpec::Uneven::pad});
          const detail::SampleOrder drop(n, shuffle, 9, ShardSpec{false, r, count, ShardSpec::Uneven::drop});
          CHECK(pad.size() == (n + count - 1) / count);
          CHECK(drop.size() == n / count);
          for (std::int64_t p = 0; p < pad.size(); ++p) pad_union.insert(pad.at(5, p));
          for (std::int64_t p = 0; p < drop.size(); ++p) drop_union.insert(drop.at(5, p));
        }
        // drop: no sample twice; pad: every sample, and only the padding repeats.
        CHECK(std::set<std::int64_t>(drop_union.begin(), drop_union.end()).size() == drop_union.size());
        CHECK(drop_union.size() == static_cast<std::size_t>(n - n % count));
        const std::set<std::int64_t> covered(pad_union.begin(), pad_union.end());
        CHECK(covered.size() == static_cast<std::size_t>(n));
        CHECK(pad_union.size() - covered.size() == static_cast<std::size_t>((count - n % count) % count));
      }
    }
  }
}

TEST_CASE("a shuffled pipeline delivers identical batches at read and transform concurrency 1 and 8") {
  const std::string extra_base = "seed: 11\n";
  auto graph = [&](int conc) {
    std::string yaml = fgtest::small_graph(200, 16, 3, extra_base + "concurrency: {read: " + std::to_string(conc) +
                                                           ", transform: " + std::to_string(conc) + "}\n");
    yaml.replace(yaml.find("seed: 7}"), 8, "seed: 7, shuffle: true}");
    return yaml;
  };
  const auto one = batches_of(graph(1));
  const auto eight = batches_of(graph(8));
  CHECK(one == eight);
  std::vector<std::int64_t> first_epoch;
  for (std::size_t b = 0; b < 13; ++b) first_epoch.insert(first_epoch.end(), one[b].begin(), one[b].end());
  CHECK_FALSE(std::is_sorted(first_epoch.begin(), first_epoch.end()));
  std::sort(first_epoch.begin(), first_epoch.end());
  for (std::int64_t i = 0; i < 200; ++i) CHECK(first_epoch[static_cast<std::size_t>(i)] == i);
}

TEST_CASE("shuffled batches carry the checksums of the samples they name") {
  std::string yaml = fgtest::small_graph(100, 8, 2, "seed: 3\nconcurrency: {read: 4, transform: 4}\n");
  yaml.replace(yaml.find("seed: 7}"), 8, "seed: 7, shuffle: true}");
  const auto spec = parse_pipeline(yaml, "s.yaml");
  fgtest::Deliveries d;
  run(spec, d.options());
  REQUIRE(d.records.size() == 26);
  for (std::size_t i = 0; i < d.records.size(); ++i) {
    CHECK(d.records[i].host_checksum == d.records[i].device_checksum);
    CHECK(d.records[i].host_checksum == fgtest::expected_checksum(spec, d.ids[i], d.records[i].epoch));
  }
}

TEST_CASE("a sharded pipeline reads its part: shard 1 of 3 with drop") {
  std::string yaml = fgtest::small_graph(100, 10, 1);
  yaml.replace(yaml.find("seed: 7}"), 8, "seed: 7, shard: {index: 1, count: 3, uneven: drop}}");
  const auto p = plan(parse_pipeline(yaml, "shard.yaml"));
  CHECK(p.samples == 33);
  CHECK(p.shard_index == 1);
  CHECK(p.shard_count == 3);
  std::vector<std::int64_t> all;
  for (const auto& b : batches_of(yaml)) all.insert(all.end(), b.begin(), b.end());
  REQUIRE(all.size() == 33);
  for (std::size_t i = 0; i < all.size(); ++i) CHECK(all[i] == 1 + 3 * static_cast<std::int64_t>(i));
}

TEST_CASE("shard auto reads the launcher's rank from the environment") {
  std::string yaml = fgtest::small_graph(10, 5, 1);
  yaml.replace(yaml.find("seed: 7}"), 8, "seed: 7, shard: auto}");
  ::setenv("OMPI_COMM_WORLD_RANK", "1", 1);
  ::setenv("OMPI_COMM_WORLD_SIZE", "2", 1);
  const auto p = plan(parse_pipeline(yaml, "auto.yaml"));
  ::unsetenv("OMPI_COMM_WORLD_RANK");
  ::unsetenv("OMPI_COMM_WORLD_SIZE");
  CHECK(p.shard_index == 1);
  CHECK(p.shard_count == 2);
  CHECK(p.samples == 5);
  CHECK(p.shard_from == "OMPI_COMM_WORLD_RANK/SIZE");
  const auto alone = plan(parse_pipeline(yaml, "auto.yaml"));
  CHECK(alone.shard_count == 1);
  CHECK(alone.samples == 10);
}

TEST_CASE("torchrun's LOCAL_WORLD_SIZE gives each local rank its share of the host's cores") {
  std::string yaml = fgtest::small_graph(12, 4, 1);
  yaml.replace(yaml.find("seed: 7}"), 8, "seed: 7, shard: auto}");
  ::setenv("RANK", "2", 1);
  ::setenv("WORLD_SIZE", "3", 1);
  ::setenv("LOCAL_RANK", "2", 1);
  ::setenv("LOCAL_WORLD_SIZE", "3", 1);
  const auto p = plan(parse_pipeline(yaml, "local.yaml"));
  for (const char* name : {"RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE"}) ::unsetenv(name);
  CHECK(p.shard_index == 2);
  CHECK(p.local_rank == 2);
  CHECK(p.local_world == 3);
  const auto alone = plan(parse_pipeline(yaml, "local.yaml"));
  CHECK(alone.local_world == 1);
  const int cores = alone.core_share;  // every core the process may use, without a launcher
  CHECK(cores >= 1);
  CHECK(p.core_share == std::max(1, cores / 3 + (2 < cores % 3 ? 1 : 0)));
}

TEST_CASE("labels travel with their samples to compute") {
  std::string yaml = fgtest::small_graph(60, 8, 2, "seed: 5\nconcurrency: {read: 3, transform: 2}\n");
  yaml.replace(yaml.find("seed: 7}"), 8, "seed: 7, classes: 7, shuffle: true}");
  fgtest::Deliveries d;
  run(parse_pipeline(yaml, "labels.yaml"), d.options());
  REQUIRE(d.ids.size() == d.labels.size());
  std::size_t seen = 0;
  for (std::size_t b = 0; b < d.ids.size(); ++b) {
    REQUIRE(d.ids[b].size() == d.labels[b].size());
    for (std::size_t j = 0; j < d.ids[b].size(); ++j, ++seen) CHECK(d.labels[b][j] == d.ids[b][j] % 7);
  }
  CHECK(seen == 120);
}

TEST_SUITE_END();
