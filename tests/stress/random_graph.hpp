#pragma once
// Random valid pipelines for the stress suites: a seed gives one graph, written as the YAML a
// person would write, so that a failure prints a file that reproduces it. Every setting that changes how
// batches move is drawn: concurrency 1-8, prefetch 1-16, pinned slots, device buffers, batch size, order,
// epochs, shuffle, shards, the transfer switches, the cache, threads, transforms on host and device.
#include <doctest/doctest.h>

#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "../graph/graph_test_util.hpp"

namespace stress {

struct RandomGraph {
  std::uint64_t seed = 0;
  std::string yaml;
  int shards = 1;  // run once per shard index; each run's YAML has its `shard.index` set by with_shard()
  std::string with_shard(int index) const {
    if (shards == 1) return yaml;
    std::string out = yaml;
    const std::string mark = "index: SHARD";
    out.replace(out.find(mark), mark.size(), "index: " + std::to_string(index));
    return out;
  }
};

inline RandomGraph random_graph(std::uint64_t seed, const std::string& device) {
  std::mt19937_64 rng(seed);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  auto coin = [&](double p = 0.5) { return std::bernoulli_distribution(p)(rng); };

  RandomGraph g;
  g.seed = seed;
  const int samples = pick(1, 160);
  const int batch = pick(1, 16);
  const bool bytes_u8 = coin(0.3);  // uint8 HWC images with device transforms, else float32 vectors
  g.shards = coin(0.25) ? pick(2, 3) : 1;
  std::string y = "name: random-" + std::to_string(seed) + "\ndevice: " + device + "\nbatch_size: " +
                  std::to_string(batch) + "\nepochs: " + std::to_string(pick(1, 3)) + "\n";
  if (g.shards == 1 && samples >= batch && coin(0.3)) y += "drop_last: true\n";
  y += "seed: " + std::to_string(pick(0, 1000)) + "\n";
  y += "dataset:\n  source: synthetic\n  samples: " + std::to_string(samples) + "\n  seed: " + std::to_string(pick(0, 99)) +
       "\n";
  y += bytes_u8 ? "  sample: {shape: [4, 6, 3], dtype: uint8}\n"
                : "  sample: {shape: [" + std::to_string(pick(1, 48)) + "], dtype: float32}\n";
  if (coin(0.4)) y += "  shuffle: true\n";
  if (g.shards > 1)
    y += "  shard: {index: SHARD, count: " + std::to_string(g.shards) + ", uneven: " + (coin() ? "pad" : "drop") + "}\n";
  if (coin(0.2)) y += "  cache: true\n";
  if (bytes_u8) {
    if (coin()) y += "transforms: [random_flip]\n";
    y += "device_transforms: [{cast: {dtype: float32, scale: 0.00392156862745098}}, to_chw, {normalize: {mean: 0.5, std: 0.25}}]\n";
  } else if (coin(0.6)) {
    y += "transforms: [{normalize: {mean: 0.5, std: 0.25}}]\n";
  }
  y += "concurrency: {read: " + std::to_string(pick(1, 8)) + ", transform: " + std::to_string(pick(1, 8)) +
       ", pin: " + std::to_string(pick(1, 8)) + "}\n";
  y += "prefetch: " + std::to_string(pick(1, 16)) + "\n";
  const bool pinned = coin(0.75);
  y += std::string("transfer: {pinned: ") + (pinned ? "true" : "false") + ", direct: " + (pinned && coin(0.3) ? "true" : "false") +
       ", non_blocking: " + (coin(0.8) ? "true" : "false") + ", copy_stream: " + (coin(0.8) ? "true" : "false") + "}\n";
  std::string buffers;
  if (coin()) buffers += "pinned: " + std::to_string(pick(1, 6));
  if (coin()) buffers += std::string(buffers.empty() ? "" : ", ") + "device: " + std::to_string(pick(1, 4));
  if (!buffers.empty()) y += "buffers: {" + buffers + "}\n";
  y += std::string("ordered: ") + (coin(0.6) ? "true" : "false") + "\n";
  if (coin(0.3)) y += "threads: " + std::to_string(pick(1, 8)) + "\n";
  y += "compute: {kernel: checksum}\nverify: true\nwatchdog_s: 10\n";
  g.yaml = y;
  return g;
}

/// How many graphs a stress case runs, and from which seed: FEEDGRAPH_STRESS_GRAPHS and FEEDGRAPH_STRESS_SEED
/// override the defaults, to reproduce one failure (`FEEDGRAPH_STRESS_SEED=123 FEEDGRAPH_STRESS_GRAPHS=1`)
/// or to run thousands.
struct Batch {
  std::uint64_t first = 0;
  int count = 0;
};
inline Batch stress_batch(std::uint64_t first, int count) {
  if (const char* s = std::getenv("FEEDGRAPH_STRESS_SEED")) first = std::strtoull(s, nullptr, 10);
  if (const char* n = std::getenv("FEEDGRAPH_STRESS_GRAPHS")) count = std::atoi(n);
  return {first, count};
}

/// Runs every shard of `g` and checks what arrived: every sample exactly once per epoch (the shards of an
/// epoch disjoint and covering the dataset; `pad` repeats only the epoch's first samples), ticket order when
/// ordered, each batch's checksum equal to one computed outside the graph, peak memory within the plan, and
/// the run finished well inside its watchdog. Returns the samples delivered.
inline std::int64_t check_random_graph(const RandomGraph& g) {
  INFO("to reproduce: FEEDGRAPH_STRESS_SEED=" << g.seed << " FEEDGRAPH_STRESS_GRAPHS=1, or this graph:\n" << g.yaml);
  std::map<std::int64_t, std::multiset<std::int64_t>> per_epoch;  // over every shard
  std::int64_t delivered = 0, dataset = 0, epochs = 0;
  bool drop_last = false, pad = false;
  for (int shard = 0; shard < g.shards; ++shard) {
    const auto spec = feedgraph::parse_pipeline(g.with_shard(shard), "random.yaml");
    const auto planned = feedgraph::plan(spec);
    dataset = planned.dataset_samples;
    epochs = spec.epochs;
    drop_last = spec.drop_last;
    pad = spec.data.shard.uneven == feedgraph::ShardSpec::Uneven::pad;
    fgtest::Deliveries d;
    const auto stats = feedgraph::run(spec, d.options());
    REQUIRE(static_cast<std::int64_t>(d.records.size()) == planned.batches);
    std::int64_t shard_samples = 0;
    for (std::size_t i = 0; i < d.records.size(); ++i) {
      const auto& r = d.records[i];
      if (spec.ordered) CHECK(r.ticket == static_cast<std::int64_t>(i));
      CHECK(r.host_checksum == r.device_checksum);
      CHECK(r.device_checksum == fgtest::expected_checksum(spec, d.ids[i], r.epoch));
      std::set<std::int64_t> in_batch(d.ids[i].begin(), d.ids[i].end());
      CHECK(in_batch.size() == d.ids[i].size());
      for (auto id : d.ids[i]) per_epoch[r.epoch].insert(id);
      shard_samples += static_cast<std::int64_t>(d.ids[i].size());
    }
    // drop_last leaves out each epoch's last, partial batch; plan.samples counts the epoch before that.
    const std::int64_t per_epoch_samples =
        spec.drop_last ? planned.batches_per_epoch * spec.batch_size : planned.samples;
    CHECK(shard_samples == per_epoch_samples * spec.epochs);
    CHECK(stats.samples == shard_samples);
    CHECK(stats.peak_memory_bytes <= planned.memory.total());
    CHECK(stats.wall_s < spec.watchdog_s);
    delivered += shard_samples;
  }
  REQUIRE(static_cast<std::int64_t>(per_epoch.size()) == epochs);
  for (const auto& [epoch, ids] : per_epoch) {
    CAPTURE(epoch);
    const std::set<std::int64_t> distinct(ids.begin(), ids.end());
    for (auto id : distinct) CHECK((id >= 0 && id < dataset));
    if (g.shards == 1 && !drop_last) {
      CHECK(ids.size() == static_cast<std::size_t>(dataset));
      CHECK(distinct.size() == static_cast<std::size_t>(dataset));
    } else if (g.shards == 1) {
      CHECK(distinct.size() == ids.size());  // drop_last leaves samples out, never repeats one
    } else if (pad) {
      CHECK(distinct.size() == static_cast<std::size_t>(dataset));  // covered; the extra are the pad's repeats
    } else {
      CHECK(distinct.size() == ids.size());  // drop: disjoint shards
      CHECK(ids.size() == static_cast<std::size_t>(dataset / g.shards * g.shards));
    }
  }
  return delivered;
}

}  // namespace stress
