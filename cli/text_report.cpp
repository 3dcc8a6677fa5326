// The human-readable report. Rates keep enough digits to compare two runs by eye; times under a second
// keep milliseconds. Fractions print as percentages because that is how people quote them.
#include <algorithm>
#include <cstddef>
#include <iterator>
#include <string_view>
#include <tuple>

#include <fmt/format.h>

#include "cli/report.hpp"

namespace feedgraph::cli {
namespace {

std::string percent(double fraction) { return fmt::format("{:.1f}%", fraction * 100.0); }

std::string milliseconds(double seconds) { return fmt::format("{:.2f} ms", seconds * 1e3); }

/// "cuda: NVIDIA H100 80GB HBM3", or just the backend when it has no name to add.
std::string device_label(std::string_view backend, std::string_view name) {
  if (name.empty() || name == backend) return std::string(backend);
  return fmt::format("{}: {}", backend, name);
}

std::string memory_breakdown(const MemoryPlan& memory) {
  return fmt::format("host {}, pinned {}, device {}{}", format_bytes(memory.host_bytes),
                     format_bytes(memory.pinned_bytes), format_bytes(memory.device_bytes),
                     memory.cache_bytes > 0 ? ", of which dataset cache " + format_bytes(memory.cache_bytes) : "");
}

std::string on_off(bool value) { return value ? "on" : "off"; }

/// " → normalize → flip", or "" when there are no transforms.
std::string transform_chain(const std::vector<StageSpec>& transforms) {
  std::string chain;
  for (const auto& transform : transforms) chain += " → " + transform.name;
  return chain;
}

void append_node_table(std::string& out, const std::vector<NodeStats>& nodes) {
  std::size_t name_width = 4;  // "node"
  for (const auto& node : nodes) name_width = std::max(name_width, node.name.size());
  auto it = std::back_inserter(out);
  fmt::format_to(it, "  {:<{}}  {:>4}  {:>7}  {:>8}  {:>6}  {:>12}  {:>12}  {:>8}  {:>8}\n", "node", name_width,
                 "conc", "batches", "busy s", "util %", "wait input s", "wait token s", "host s", "cpu s");
  for (const auto& node : nodes) {
    fmt::format_to(it, "  {:<{}}  {:>4}  {:>7}  {:>8.3f}  {:>6.1f}  {:>12.3f}  {:>12.3f}  {:>8.3f}  {:>8.3f}\n",
                   node.name, name_width, node.concurrency, node.batches, node.busy_s, node.utilization * 100.0,
                   node.wait_input_s, node.wait_token_s, node.host_s, node.cpu_s);
  }
}

/// "graph (9) 1.204 s, fg-host-compute 0.311 s, cuda-EvtHandlr (2) 0.102 s, 3 others 0.004 s": the groups
/// that used at least 1% of the largest, the rest summed.
std::string thread_cpu_text(const std::vector<ThreadCpu>& groups) {
  std::string text;
  int others = 0;
  double others_s = 0;
  const double largest = groups.empty() ? 0 : groups.front().cpu_s;
  for (const auto& g : groups) {
    if (g.cpu_s < 0.01 * largest || g.cpu_s <= 0) {
      others += g.threads;
      others_s += g.cpu_s;
      continue;
    }
    text += fmt::format("{}{}{} {:.3f} s", text.empty() ? "" : ", ", g.name,
                        g.threads > 1 ? fmt::format(" ({})", g.threads) : "", g.cpu_s);
  }
  if (others > 0)
    text += fmt::format("{}{} other thread{} {:.3f} s", text.empty() ? "" : ", ", others, others == 1 ? "" : "s", others_s);
  return text;
}

/// Column headings for a side-by-side table: the variants when they differ (serial twin vs graph), else the
/// graph names (two files), else positions.
std::pair<std::string, std::string> column_labels(const RunStats& first, const RunStats& second) {
  if (first.variant != second.variant) return {first.variant, second.variant};
  if (first.graph != second.graph) return {first.graph, second.graph};
  return {"first", "second"};
}

}  // namespace

std::string plan_line(const PipelineSpec& spec, const Plan& plan) {
  return fmt::format("{} ({}) on {} — {} batches of {} × {}, peak memory {} ({})\n", spec.name, plan.settings.variant(),
                     device_label(plan.backend, plan.device_name), plan.batches, spec.batch_size,
                     plan.layout.describe(), format_bytes(plan.memory.total()), memory_breakdown(plan.memory));
}

std::string run_text(const RunStats& run) {
  std::string out;
  auto it = std::back_inserter(out);
  fmt::format_to(it, "{} ({}) on {}\n", run.graph, run.variant, device_label(run.backend, run.device_name));
  if (run.interrupted)
    fmt::format_to(it, "  interrupted  stopped early: the figures below cover the {} batches delivered before it\n",
                   run.batches);
  fmt::format_to(it, "  throughput   {:.1f} samples/s, {:.2f} batches/s ({} samples in {} batches)\n",
                 run.samples_per_s, run.batches_per_s, run.samples, run.batches);
  fmt::format_to(it, "  H2D          {:.2f} GB/s delivered, {:.2f} GB/s while copying ({} in {:.3f} s)\n",
                 run.h2d_gbps, run.copy_gbps, format_bytes(run.bytes_copied), run.copy_s);
  fmt::format_to(it, "  GPU          idle {} ({} of the steady state, largest gap {}), copy hidden under compute {} "
                 "(compute busy {:.3f} s)\n",
                 percent(run.gpu_idle_fraction), percent(run.gpu_idle_steady_fraction),
                 milliseconds(run.gpu_gap_largest_s), percent(run.copy_hidden_fraction), run.compute_s);
  fmt::format_to(it, "  latency      p50 {}, p95 {}, p99 {}\n", milliseconds(run.latency_p50_s),
                 milliseconds(run.latency_p95_s), milliseconds(run.latency_p99_s));
  fmt::format_to(it, "  memory       peak {} (planned {}: {})\n", format_bytes(run.peak_memory_bytes),
                 format_bytes(run.memory.total()), memory_breakdown(run.memory));
  fmt::format_to(it, "  time         wall {:.3f} s, setup {:.3f} s{}\n", run.wall_s, run.setup_s,
                 run.cache_fill_s > 0 ? fmt::format(" (dataset read into the cache in {:.3f} s)", run.cache_fill_s) : "");
  if (run.wall_s > 0 && run.cpu_s > 0) {
    double in_nodes = 0;
    for (const auto& node : run.nodes) in_nodes += node.cpu_s;
    const double us_per_sample = run.samples > 0 ? 1e6 * run.cpu_s / static_cast<double>(run.samples) : 0.0;
    fmt::format_to(it, "  host CPU     {:.1f} cores busy ({:.3f} s over the wall, {:.{}f} us/sample): {:.3f} s in the node "
                   "bodies, {:.3f} s outside them (oneTBB's idle workers, the device runtime's and libraries' threads{})\n",
                   run.cores_busy(), run.cpu_s, us_per_sample, us_per_sample >= 100 ? 0 : 1, in_nodes,
                   std::max(0.0, run.cpu_s - in_nodes), run.consumer_wait_fraction >= 0 ? ", the loop" : "");
    if (!run.thread_cpu.empty()) out += "               by thread: " + thread_cpu_text(run.thread_cpu) + "\n";
  }
  if (run.skipped > 0) {
    fmt::format_to(it, "  skipped      {} bad sample{} (on_error: skip)\n", run.skipped, run.skipped == 1 ? "" : "s");
    constexpr std::size_t kShown = 5;
    for (std::size_t i = 0; i < std::min(kShown, run.skipped_samples.size()); ++i) {
      const auto& s = run.skipped_samples[i];
      fmt::format_to(it, "               sample {} in batch {}: {}: {}\n", s.id, s.batch, s.where, s.message);
    }
    if (run.skipped_samples.size() > kShown)
      fmt::format_to(it, "               ... {} more in --json\n", run.skipped - static_cast<std::int64_t>(kShown));
  }
  out += '\n';
  append_node_table(out, run.nodes);
  out += '\n';
  fmt::format_to(it, "  verdict: {}\n", run.verdict.empty() ? "(none)" : run.verdict);
  return out;
}

std::string comparison_text(const RunStats& first, const RunStats& second) {
  const auto [left, right] = column_labels(first, second);
  const std::size_t width = std::max<std::size_t>({12, left.size(), right.size()});
  std::string out;
  auto it = std::back_inserter(out);
  fmt::format_to(it, "  {:<10}  {:>{}}  {:>{}}\n", "", left, width, right, width);
  fmt::format_to(it, "  {:<10}  {:>{}.1f}  {:>{}.1f}\n", "samples/s", first.samples_per_s, width,
                 second.samples_per_s, width);
  fmt::format_to(it, "  {:<10}  {:>{}.2f}  {:>{}.2f}\n", "H2D GB/s", first.h2d_gbps, width, second.h2d_gbps,
                 width);
  fmt::format_to(it, "  {:<10}  {:>{}}  {:>{}}\n", "GPU idle", percent(first.gpu_idle_fraction), width,
                 percent(second.gpu_idle_fraction), width);
  fmt::format_to(it, "  {:<10}  {:>{}.1f}  {:>{}.1f}\n", "host cores", first.cores_busy(), width,
                 second.cores_busy(), width);
  if (const auto ratio = speedup(first, second)) {
    fmt::format_to(it, "speedup: {:.2f}x\n", *ratio);
  } else {
    out += "speedup: n/a (the first run delivered no samples)\n";
  }
  return out;
}

std::string ceiling_text(const std::vector<RunStats>& runs, const H2dCeilings& ceilings) {
  // Two runs take the comparison table's column labels; one needs none; more are numbered.
  std::vector<std::string> labels(runs.size());
  if (runs.size() == 2) std::tie(labels[0], labels[1]) = column_labels(runs[0], runs[1]);
  if (runs.size() > 2) {
    for (std::size_t i = 0; i < runs.size(); ++i) labels[i] = fmt::format("run {}", i + 1);
  }
  std::size_t width = 0;
  for (const auto& label : labels) width = std::max(width, label.size());
  std::string out;
  auto it = std::back_inserter(out);
  for (std::size_t i = 0; i < runs.size() && i < ceilings.size(); ++i) {
    if (!ceilings[i] || !(ceilings[i]->gbps > 0)) continue;
    const H2dCeiling& c = *ceilings[i];
    const std::string label = width == 0 ? "" : fmt::format("{:<{}}  ", labels[i], width);
    fmt::format_to(it, "  {}H2D {:.2f} GB/s delivered = {:.0f}% of the pinned ceiling ({:.1f} GB/s at {})\n", label,
                   runs[i].h2d_gbps, 100.0 * runs[i].h2d_gbps / c.gbps, c.gbps, format_bytes(c.bytes));
  }
  return out;
}

std::string validate_text(const PipelineSpec& spec, const Plan& plan) {
  std::string out;
  auto it = std::back_inserter(out);
  fmt::format_to(it, "{} ({}) from {}\n", spec.name, spec.variant(), spec.origin.empty() ? "<text>" : spec.origin);
  const std::string device =
      plan.backend == "cuda" ? fmt::format("cuda:{}: {}", plan.device_index, plan.device_name)
                             : device_label(plan.backend, plan.device_name);
  // The reason already names the setting ("device: auto and ..."); fall back to the setting alone.
  fmt::format_to(it, "  backend      {} ({})\n", device,
                 plan.device_reason.empty() ? "device: " + spec.device.text() : plan.device_reason);
  if (plan.ragged)
    fmt::format_to(it, "  layout       encoded files, {} per batch, packed: at most {} per batch (its largest files)\n",
                   spec.batch_size, format_bytes(plan.batch_bytes));
  else
    fmt::format_to(it, "  layout       {} per sample, {} per batch = {} per batch\n", plan.transfer_layout.describe(),
                   spec.batch_size, format_bytes(plan.batch_bytes));
  fmt::format_to(it, "  batches      {} per epoch × {} epoch{} = {} ({} samples per epoch, drop_last {})\n",
                 plan.batches_per_epoch, plan.epochs, plan.epochs == 1 ? "" : "s", plan.batches, plan.samples,
                 spec.drop_last);
  fmt::format_to(it, "  stages       {}{}{} → compute {}\n", spec.dataset.name, transform_chain(spec.transforms),
                 spec.device_transforms.empty() ? "" : " → copy" + transform_chain(spec.device_transforms),
                 spec.compute.name);
  if (plan.ragged)
    fmt::format_to(it, "  link         the files cross the link as read, decoded on the device; the compute sees {}\n",
                   plan.layout.describe());
  else if (!(plan.transfer_layout == plan.layout))
    fmt::format_to(it, "  link         {} per sample cross the link; the compute sees {}\n",
                   plan.transfer_layout.describe(), plan.layout.describe());
  fmt::format_to(it, "  data         {} samples{}{}, shard {} of {}{}{}\n", plan.dataset_samples,
                 spec.data.shuffle ? ", shuffled per epoch (seed " + std::to_string(spec.seed) + ")" : "",
                 spec.data.cache ? ", cached in memory" : "", plan.shard_index, plan.shard_count,
                 plan.shard_from.empty() ? "" : " (" + plan.shard_from + ")",
                 spec.data.on_error == DatasetPolicy::OnError::skip
                     ? ", on_error skip (max " + std::to_string(spec.data.max_skipped) + ")"
                     : "");
  if (plan.local_world > 1)
    fmt::format_to(it, "  host share   local rank {} of {} on this host: threads: auto sizes to {} of its cores\n",
                   plan.local_rank, plan.local_world, plan.core_share);
  auto count = [](int v) { return v == kAuto ? std::string("auto") : std::to_string(v); };
  fmt::format_to(it, "  concurrency  read {}, transform {}, pin {}; prefetch {}; pinned slots {}, device buffers {}\n",
                 count(spec.concurrency.read), count(spec.concurrency.transform), count(spec.concurrency.pin),
                 count(spec.prefetch), plan.shape.pinned_slots, plan.shape.device_buffers);
  if (const auto keys = spec.auto_keys(); !keys.empty())
    fmt::format_to(it, "  auto         {}: chosen when the pipeline starts, by a short tune within the budget; the "
                       "memory below is at 1 for each\n",
                   fmt::join(keys, ", "));
  fmt::format_to(it, "  transfer     pinned {}{}, non_blocking {}, copy_stream {}; ordered {}, verify {}\n",
                 on_off(spec.transfer.pinned), spec.transfer.pinned && spec.transfer.direct ? " (direct)" : "",
                 on_off(spec.transfer.non_blocking), on_off(spec.transfer.copy_stream),
                 on_off(spec.ordered), on_off(spec.verify));
  fmt::format_to(it, "  memory       {}, total {}\n", memory_breakdown(plan.memory), format_bytes(plan.memory.total()));
  if (spec.memory_budget == 0) {
    out += "  budget       none\n";
  } else {
    fmt::format_to(it, "  budget       {} ({:.0f}% planned)\n", format_bytes(spec.memory_budget),
                   100.0 * static_cast<double>(plan.memory.total()) / static_cast<double>(spec.memory_budget));
  }
  return out;
}

}  // namespace feedgraph::cli
