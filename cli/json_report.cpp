// The `--json` document. Scripts rely on the contract keys (feedgraph, device.backend,
// device.name, runs[].graph ... runs[].nodes[].utilization, speedup): add keys freely, never rename these.
#include <cerrno>
#include <cstring>
#include <fstream>

#include "cli/report.hpp"

#include <algorithm>
#include "feedgraph/errors.hpp"

namespace feedgraph::cli {
namespace {

/// Puts the ceiling right after `h2d_gbps`, the rate it qualifies, so the file reads like the text report.
void add_ceiling(nlohmann::ordered_json& run_object, const RunStats& run, const H2dCeiling& ceiling) {
  nlohmann::ordered_json out;
  for (auto& item : run_object.items()) {
    out[item.key()] = std::move(item.value());
    if (item.key() != "h2d_gbps") continue;
    out["h2d_ceiling_gbps"] = ceiling.gbps;
    out["h2d_ceiling_bytes"] = ceiling.bytes;
    out["h2d_fraction_of_ceiling"] = ceiling.gbps > 0 ? run.h2d_gbps / ceiling.gbps : 0.0;
  }
  run_object = std::move(out);
}

}  // namespace

std::optional<double> speedup(const RunStats& first, const RunStats& second) {
  if (!(first.samples_per_s > 0)) return std::nullopt;
  return second.samples_per_s / first.samples_per_s;
}

nlohmann::ordered_json node_json(const NodeStats& node) {
  return {
      {"name", node.name},
      {"concurrency", node.concurrency},
      {"batches", node.batches},
      {"busy_s", node.busy_s},
      {"utilization", node.utilization},
      {"wait_input_s", node.wait_input_s},
      {"wait_token_s", node.wait_token_s},
      {"host_s", node.host_s},
      {"cpu_s", node.cpu_s},
  };
}

nlohmann::ordered_json skipped_json(const std::vector<SkippedSample>& skipped) {
  auto list = nlohmann::ordered_json::array();
  for (const auto& s : skipped)
    list.push_back({{"id", s.id}, {"batch", s.batch}, {"where", s.where}, {"message", s.message}});
  return list;
}

namespace {
nlohmann::ordered_json memory_json(const MemoryPlan& m) {
  return {{"host_bytes", m.host_bytes},
          {"pinned_bytes", m.pinned_bytes},
          {"device_bytes", m.device_bytes},
          {"cache_bytes", m.cache_bytes},
          {"total_bytes", m.total()}};
}
}  // namespace

nlohmann::ordered_json run_json(const RunStats& run, const std::optional<H2dCeiling>& ceiling) {
  auto nodes = nlohmann::ordered_json::array();
  for (const auto& node : run.nodes) nodes.push_back(node_json(node));
  auto threads = nlohmann::ordered_json::array();
  for (const auto& t : run.thread_cpu) threads.push_back({{"name", t.name}, {"threads", t.threads}, {"cpu_s", t.cpu_s}});
  nlohmann::ordered_json out = {
      {"graph", run.graph},
      {"variant", run.variant},
      {"interrupted", run.interrupted},
      {"backend", run.backend},
      {"device_name", run.device_name},
      {"batches", run.batches},
      {"samples", run.samples},
      {"setup_s", run.setup_s},
      {"wall_s", run.wall_s},
      {"cpu_s", run.cpu_s},
      {"cpu_by_thread", std::move(threads)},
      {"samples_per_s", run.samples_per_s},
      {"batches_per_s", run.batches_per_s},
      {"bytes_copied", run.bytes_copied},
      {"h2d_gbps", run.h2d_gbps},
      {"copy_gbps", run.copy_gbps},
      {"copy_s", run.copy_s},
      {"compute_s", run.compute_s},
      {"gpu_idle_fraction", run.gpu_idle_fraction},
      {"copy_hidden_fraction", run.copy_hidden_fraction},
      {"gpu_idle_steady_fraction", run.gpu_idle_steady_fraction},
      {"gpu_gap_total_s", run.gpu_gap_total_s},
      {"gpu_gap_largest_s", run.gpu_gap_largest_s},
      {"latency_p50_s", run.latency_p50_s},
      {"latency_p95_s", run.latency_p95_s},
      {"latency_p99_s", run.latency_p99_s},
      {"peak_memory_bytes", run.peak_memory_bytes},
      {"memory", memory_json(run.memory)},
      {"cache_fill_s", run.cache_fill_s},
      {"skipped", run.skipped},
      {"skipped_samples", skipped_json(run.skipped_samples)},
      {"consumer_wait_fraction",
       run.consumer_wait_fraction >= 0 ? nlohmann::ordered_json(run.consumer_wait_fraction) : nlohmann::ordered_json(nullptr)},
      {"verdict", run.verdict},
      {"nodes", std::move(nodes)},
  };
  if (ceiling) add_ceiling(out, run, *ceiling);
  return out;
}

nlohmann::ordered_json report_json(const std::vector<RunStats>& runs, bool with_speedup,
                                   const H2dCeilings& ceilings) {
  nlohmann::ordered_json document;
  document["feedgraph"] = feedgraph::version();
  // Every run of one command shares the device (one --device for all), so the first run names it.
  document["device"] = {{"backend", runs.empty() ? "" : runs.front().backend},
                        {"name", runs.empty() ? "" : runs.front().device_name}};
  auto list = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < runs.size(); ++i) {
    list.push_back(run_json(runs[i], i < ceilings.size() ? ceilings[i] : std::nullopt));
  }
  document["runs"] = std::move(list);
  // A signal stopped the command: its runs are what ran before it (the last one cut short).
  document["interrupted"] = std::any_of(runs.begin(), runs.end(), [](const RunStats& r) { return r.interrupted; });
  if (with_speedup) {
    const auto ratio = runs.size() >= 2 ? speedup(runs.front(), runs.back()) : std::nullopt;
    document["speedup"] = ratio ? nlohmann::ordered_json(*ratio) : nlohmann::ordered_json(nullptr);
  }
  return document;
}

namespace {
nlohmann::ordered_json layout_json(const SampleLayout& layout) {
  // A varying entry (kVaries) reads as null: its size is known only per sample.
  auto shape = nlohmann::ordered_json::array();
  for (std::int64_t d : layout.shape) shape.push_back(d == kVaries ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(d));
  return {{"shape", std::move(shape)}, {"dtype", std::string(dtype_name(layout.dtype))}};
}
}  // namespace

nlohmann::ordered_json plan_json(const PipelineSpec& spec, const Plan& plan) {
  const RunSettings& s = plan.settings;
  return {
      {"graph", spec.name},
      {"variant", spec.variant()},
      {"backend", plan.backend},
      {"device_index", plan.device_index},
      {"device_name", plan.device_name},
      {"device_reason", plan.device_reason},
      {"layout", layout_json(plan.layout)},
      {"transfer_layout", layout_json(plan.transfer_layout)},
      {"ragged", plan.ragged},
      {"source_layout", layout_json(plan.source_layout)},
      {"batch_size", spec.batch_size},
      {"batch_bytes", plan.batch_bytes},
      {"dataset_samples", plan.dataset_samples},
      {"samples", plan.samples},
      {"batches_per_epoch", plan.batches_per_epoch},
      {"epochs", plan.epochs},
      {"batches", plan.batches},
      {"shard", {{"index", plan.shard_index}, {"count", plan.shard_count}, {"from", plan.shard_from}}},
      {"host_share", {{"local_rank", plan.local_rank}, {"local_world", plan.local_world}, {"cores", plan.core_share}}},
      {"settings",
       {{"concurrency", {{"read", s.concurrency.read}, {"transform", s.concurrency.transform}, {"pin", s.concurrency.pin}}},
        {"prefetch", s.prefetch},
        {"transfer",
         {{"pinned", s.transfer.pinned},
          {"non_blocking", s.transfer.non_blocking},
          {"copy_stream", s.transfer.copy_stream},
          {"direct", s.transfer.direct}}},
        {"buffers", {{"pinned", plan.shape.pinned_slots}, {"device", plan.shape.device_buffers}}},
        {"threads", s.threads}}},
      {"memory", memory_json(plan.memory)},
  };
}

void write_json_file(const std::string& path, const nlohmann::ordered_json& document) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw Error("cannot write " + path + ": " + std::strerror(errno));
  // Two-space indent: the file is read by people as often as by scripts. `replace` keeps a stray byte in a
  // stage's message from turning a finished run into a failed one.
  out << document.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << '\n';
  out.flush();
  if (!out) throw Error("cannot write " + path + ": write failed");
}

}  // namespace feedgraph::cli
