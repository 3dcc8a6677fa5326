#pragma once
// Helpers for graph tests: build a small synthetic pipeline, run it, and check what arrived.
#include <doctest/doctest.h>

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "feedgraph/feedgraph.hpp"
#include "samples/sample_buffer.hpp"
#include "samples/sample_chain.hpp"
#include "stages/registry.hpp"

namespace fgtest {

/// A small pipeline: `samples` samples of 3x8x8 float32, normalize, checksum compute, host backend.
inline std::string small_graph(int samples, int batch, int epochs, const std::string& extra = "") {
  return "name: small\n"
         "device: host\n"
         "batch_size: " + std::to_string(batch) + "\n"
         "epochs: " + std::to_string(epochs) + "\n"
         "dataset: {source: synthetic, samples: " + std::to_string(samples) + ", sample: {shape: [3, 8, 8], dtype: float32}, seed: 7}\n"
         "transforms: [{normalize: {mean: 0.5, std: 0.25}}]\n"
         "compute: {kernel: checksum}\n"
         "watchdog_s: 20\n" + extra;
}

/// The checksum a batch must have, computed outside the graph from fresh stage instances: read each
/// sample, apply the transforms, sum the per-sample checksums at their positions.
inline std::uint64_t expected_checksum(const feedgraph::PipelineSpec& spec, std::span<const std::int64_t> ids,
                                       std::int64_t epoch) {
  auto source = feedgraph::detail::build_source(spec.dataset, {});
  const auto source_layout = source->layout();
  auto layout = source_layout;
  std::vector<std::unique_ptr<feedgraph::Transform>> transforms;
  for (const auto& t : spec.transforms) {
    transforms.push_back(feedgraph::detail::build_transform(t, {layout, spec.batch_size}));
    layout = transforms.back()->output(layout);
  }
  const feedgraph::detail::SampleChain chain(&transforms, &spec.transforms, source_layout);
  feedgraph::detail::SampleBuffer sample;
  std::vector<std::byte> slot(layout.bytes());
  std::uint64_t sum = 0;
  for (std::size_t j = 0; j < ids.size(); ++j) {
    source->read(ids[j], sample);
    chain.run(sample.bytes(), sample.layout(), slot, {ids[j], epoch, spec.seed});
    sum += feedgraph::sample_checksum(slot, static_cast<std::int64_t>(j));
  }
  return sum;
}

/// Everything the graph delivered, in delivery order.
struct Deliveries {
  std::vector<feedgraph::BatchRecord> records;
  std::vector<std::vector<std::int64_t>> ids;
  std::vector<std::vector<std::int64_t>> labels;
  feedgraph::RunOptions options() {
    feedgraph::RunOptions o;
    o.on_batch = [this](const feedgraph::BatchRecord& r) {
      records.push_back(r);
      ids.emplace_back(r.sample_ids.begin(), r.sample_ids.end());
      labels.emplace_back(r.labels.begin(), r.labels.end());
      records.back().sample_ids = {};
      records.back().labels = {};
    };
    return o;
  }
};

/// Every sample id of [0, samples) exactly once per epoch; in ticket order when `ordered`.
inline void check_exactly_once(const Deliveries& d, std::int64_t samples, int epochs, bool ordered) {
  std::map<std::int64_t, std::multiset<std::int64_t>> per_epoch;
  for (std::size_t i = 0; i < d.records.size(); ++i) {
    const auto& r = d.records[i];
    if (ordered) CHECK(r.ticket == static_cast<std::int64_t>(i));
    for (auto id : d.ids[i]) per_epoch[r.epoch].insert(id);
    CHECK(r.host_checksum == r.device_checksum);
  }
  REQUIRE(per_epoch.size() == static_cast<std::size_t>(epochs));
  for (const auto& [epoch, ids] : per_epoch) {
    CHECK(ids.size() == static_cast<std::size_t>(samples));
    std::int64_t expect = 0;
    for (auto id : ids) CHECK(id == expect++);
  }
}

}  // namespace fgtest
