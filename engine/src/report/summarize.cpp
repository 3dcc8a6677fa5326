#include "report/summarize.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace feedgraph::detail {
namespace {

struct Interval {
  double begin, end;
};

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const auto hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

/// Seconds of `x` covered by the union of `sorted` (sorted by begin, non-overlapping: one stream).
double covered(const Interval& x, const std::vector<Interval>& sorted) {
  auto it = std::lower_bound(sorted.begin(), sorted.end(), x.begin,
                             [](const Interval& i, double t) { return i.end < t; });
  double sum = 0;
  for (; it != sorted.end() && it->begin < x.end; ++it)
    sum += std::max(0.0, std::min(x.end, it->end) - std::max(x.begin, it->begin));
  return sum;
}

std::vector<TimelineSpan> timeline(const RunInputs& in) {
  std::vector<TimelineSpan> out;
  out.reserve(in.times.size() * 5);
  const std::string copy_lane = in.plan.settings.transfer.copy_stream ? "copy stream" : "compute stream";
  for (std::size_t i = 0; i < in.times.size(); ++i) {
    const auto& t = in.times[i];
    const auto ticket = static_cast<std::int64_t>(i);
    out.push_back({"read/" + std::to_string(t.read_lane), "read", ticket, t.read_begin, t.read_end});
    out.push_back({"transform/" + std::to_string(t.transform_lane), "transform", ticket, t.transform_begin, t.transform_end});
    if (in.plan.shape.pin_node) out.push_back({"pin/" + std::to_string(t.pin_lane), "pin", ticket, t.pin_begin, t.pin_end});
    out.push_back({copy_lane, "copy", ticket, t.copy_begin, t.copy_end});
    out.push_back({"compute stream", "compute", ticket, t.compute_begin, t.compute_end});
  }
  return out;
}

/// The copy stream's busy share of its steady state (first copy start to last copy end), or of the wall
/// when there is no timeline.
double copy_busy_fraction(const RunStats& s) {
  double first = std::numeric_limits<double>::infinity(), last = 0;
  for (const auto& t : s.timeline)
    if (t.node == "copy") first = std::min(first, t.begin_s), last = std::max(last, t.end_s);
  const double span = last > first ? last - first : s.wall_s;
  return span > 0 ? std::min(1.0, s.copy_s / span) : 0;
}

}  // namespace

RunStats summarize_run(RunInputs in) {
  RunStats s;
  s.graph = in.spec.name;
  s.variant = in.plan.settings.variant();
  s.interrupted = in.interrupted;
  s.backend = in.backend;
  s.device_name = in.device_name;
  s.batches = static_cast<std::int64_t>(in.times.size());  // the plan's, unless the run was limited or stopped
  s.samples = in.samples_delivered;
  s.skipped = in.skipped;
  s.skipped_samples = std::move(in.skipped_samples);
  s.cache_fill_s = in.cache_fill_s;
  s.setup_s = in.setup_s;
  s.wall_s = in.wall_s;
  s.cpu_s = in.cpu_s;
  s.thread_cpu = std::move(in.thread_cpu);
  const double wall = std::max(in.wall_s, 1e-9);
  s.samples_per_s = static_cast<double>(s.samples) / wall;
  s.batches_per_s = static_cast<double>(s.batches) / wall;
  s.memory = in.plan.memory;
  s.peak_memory_bytes = in.peak_memory_bytes;

  std::vector<Interval> compute;
  std::vector<double> latency;
  compute.reserve(in.times.size());
  latency.reserve(in.times.size());
  for (const auto& t : in.times) {
    s.copy_s += t.copy_end - t.copy_begin;
    s.compute_s += t.compute_end - t.compute_begin;
    compute.push_back({t.compute_begin, t.compute_end});
    latency.push_back(t.done - t.read_begin);
  }
  std::sort(compute.begin(), compute.end(), [](const Interval& a, const Interval& b) { return a.begin < b.begin; });
  // Starvation: the compute stream's gaps between one batch's kernel and the next.
  for (std::size_t i = 1; i < compute.size(); ++i) {
    const double gap = std::max(0.0, compute[i].begin - compute[i - 1].end);
    s.gpu_gap_total_s += gap;
    s.gpu_gap_largest_s = std::max(s.gpu_gap_largest_s, gap);
  }
  if (!compute.empty()) {
    const double steady = compute.back().end - compute.front().begin;
    s.gpu_idle_steady_fraction = steady > 0 ? std::clamp(s.gpu_gap_total_s / steady, 0.0, 1.0) : 0;
  }
  double hidden = 0;
  for (const auto& t : in.times) hidden += covered({t.copy_begin, t.copy_end}, compute);
  s.copy_hidden_fraction = s.copy_s > 0 ? std::clamp(hidden / s.copy_s, 0.0, 1.0) : 0;
  s.gpu_idle_fraction = std::clamp(1.0 - s.compute_s / wall, 0.0, 1.0);

  const std::uint64_t sample_bytes = in.plan.transfer_layout.bytes();  // what crossed the link
  s.bytes_copied = static_cast<std::uint64_t>(s.samples) * sample_bytes;
  if (in.plan.ragged) {  // files of their own sizes
    s.bytes_copied = 0;
    for (const auto& t : in.times) s.bytes_copied += t.bytes;
  }
  s.h2d_gbps = static_cast<double>(s.bytes_copied) / wall / 1e9;
  s.copy_gbps = s.copy_s > 0 ? static_cast<double>(s.bytes_copied) / s.copy_s / 1e9 : 0;
  s.latency_p50_s = percentile(latency, 0.50);
  s.latency_p95_s = percentile(latency, 0.95);
  s.latency_p99_s = percentile(latency, 0.99);

  for (auto& n : in.nodes) {
    // The GPU nodes' busy time is their stream's; their body's host time stays in host_s.
    if (n.name == "copy") n.busy_s = s.copy_s;
    if (n.name == "compute") n.busy_s = s.compute_s;
    n.utilization = std::clamp(n.busy_s / (wall * n.concurrency), 0.0, 1.0);
  }
  s.nodes = std::move(in.nodes);
  s.timeline = timeline(in);
  if (in.consumer_wait_s >= 0) s.consumer_wait_fraction = std::clamp(in.consumer_wait_s / wall, 0.0, 1.0);
  s.verdict = verdict(s, VerdictFacts{in.plan.settings, in.plan.shape.pin_node, !in.spec.transforms.empty(), in.cores,
                                      s.consumer_wait_fraction, in.graph_core_wait_s});
  return s;
}

std::string verdict(const RunStats& s, const VerdictFacts& facts) {
  const RunSettings& spec = facts.settings;
  auto pct = [](double f) { return std::to_string(static_cast<int>(std::lround(f * 100))) + "%"; };
  // Judged on the steady state, from the first kernel to the last: the fill and drain of a short run would
  // otherwise hide a saturated stream behind the pipeline's latency.
  const double gpu_busy = std::max(1.0 - s.gpu_idle_fraction, 1.0 - s.gpu_idle_steady_fraction);
  const double copy_busy = copy_busy_fraction(s);
  // A pulling consumer that almost never waited for a batch: its own work (a training step) sets the pace, and
  // nothing in the input pipeline would move it. The compute stream here only checks the batches.
  if (facts.consumer_wait_fraction >= 0 && facts.consumer_wait_fraction < 0.05)
    return "consumer-bound: the loop waited for a batch " + pct(facts.consumer_wait_fraction) +
           " of the time; its own work sets the pace, and the input pipeline keeps up";
  if (gpu_busy >= 0.95) {
    const std::string busy = "compute-bound: the compute stream is busy " + pct(gpu_busy) + " of the steady state";
    // The stream's busy time runs from each batch's first queued op to its last, waits on other streams included
    // (decode lanes), so a thread that hands it work late can look like a slow GPU: its host time tells.
    // Its CPU time then tells working from waiting: a thread that waits in its body (a library call that holds
    // it while the device works, a host-side wait that sleeps) is held back by that wait, not by host work.
    for (const auto& n : s.nodes) {
      if (n.name != "compute" || !(s.wall_s > 0) || n.host_s < 0.8 * s.wall_s) continue;
      const std::string held = ", but the thread that submits to it was in its body " +
                               pct(std::min(1.0, n.host_s / s.wall_s)) + " of the wall (the compute node's host s)";
      if (n.cpu_s > 0 && n.cpu_s < 0.5 * n.host_s)
        return busy + held + ", on a core for " + pct(n.cpu_s / n.host_s) +
               " of it: it waits there (a call that holds it while the device works, or a host-side wait), and "
               "handing the work over without waiting may move it before a faster GPU would";
      return busy + held + ": less host work per batch may move it before a faster GPU would";
    }
    return busy + "; the input pipeline keeps up, only a faster compute moves it";
  }
  if (copy_busy >= 0.90) {
    const std::string fix = !spec.transfer.pinned   ? "turn on transfer.pinned (pageable copies are slow)"
                            : !spec.transfer.direct ? "try transfer.direct (no pin copy) or ship fewer bytes per sample"
                                                    : "ship fewer bytes per sample (a smaller dtype)";
    return "transfer-bound: the copy engine is busy " + pct(copy_busy) + " at " +
           std::to_string(static_cast<int>(std::lround(s.copy_gbps))) + " GB/s, GPU idle " + pct(s.gpu_idle_fraction) +
           ": " + fix;
  }
  const NodeStats* worst = nullptr;
  for (const auto& n : s.nodes)
    if (n.name != "copy" && n.name != "compute" && (!worst || n.utilization > worst->utilization)) worst = &n;
  if (!worst) return "no verdict: no host node ran";
  const std::string knob = "concurrency." + worst->name;
  // How many cores the host nodes kept busy: their CPU time over the wall where it was measured, else their
  // time in their bodies (a body that waits on storage is busy without a core).
  double node_cpu_s = 0, node_busy_s = 0;
  for (const auto& n : s.nodes)
    if (n.name != "copy" && n.name != "compute") {
      node_cpu_s += n.cpu_s;
      node_busy_s += n.busy_s;
    }
  const double cores_busy = s.wall_s > 0 ? (node_cpu_s > 0 ? node_cpu_s : node_busy_s) / s.wall_s : 0;
  const int cores = std::max(1, facts.cores);
  // Workers on a core for under half their time in the body wait there (storage, a remote read): more of them
  // overlap more waits even past the core count, so only the cores they really keep busy make it CPU-bound.
  // Unless the time off a core went to other threads' turns (a host busy with other work): then it is the
  // cores they lack.
  const double off_core_s = worst->busy_s - worst->cpu_s;
  const bool worst_waits = worst->cpu_s > 0 && worst->cpu_s < 0.5 * worst->busy_s &&
                           (facts.graph_core_wait_s < 0 || facts.graph_core_wait_s < 0.5 * off_core_s);
  const bool workers_fill_cores = worst->concurrency >= cores && !worst_waits;
  if (worst->utilization >= 0.8 && (workers_fill_cores || cores_busy >= 0.85 * cores)) {
    // More workers would only share the same cores: what moves this graph is more cores or less CPU per batch.
    std::string less_cpu;
    if (facts.pin_node) less_cpu += "transfer.direct (no pin copy)";
    if (facts.host_transforms) less_cpu += std::string(less_cpu.empty() ? "" : " or ") + "device_transforms (the GPU does the per-sample work)";
    return "CPU-bound on this host: " + worst->name + " busy " + pct(worst->utilization) + " of " +
           std::to_string(worst->concurrency) + (worst->concurrency == 1 ? " worker" : " workers") + " with " +
           fmt::format("{:.1f}", cores_busy) +
           " of its " + std::to_string(cores) + (cores == 1 ? " core" : " cores") + " busy, GPU idle " +
           pct(s.gpu_idle_fraction) + ": more workers would share the same cores; a host with more cores" +
           (less_cpu.empty() ? " moves it" : " moves it, and so does less CPU per batch: " + less_cpu);
  }
  if (worst->utilization >= 0.8)
    return "input-bound: " + worst->name + " busy " + pct(worst->utilization) + " of " +
           std::to_string(worst->concurrency) + (worst->concurrency == 1 ? " worker" : " workers") + ", GPU idle " +
           pct(s.gpu_idle_fraction) + ": raise " + knob;
  if (!spec.transfer.non_blocking || !spec.transfer.copy_stream)
    return "serialized: no stage is busy over " + pct(worst->utilization) + " (" + worst->name +
           " the most), GPU idle " + pct(s.gpu_idle_fraction) +
           ": blocking copies keep the stages from overlapping; turn on transfer.non_blocking and transfer.copy_stream";
  return "latency-bound: no stage is busy over " + pct(worst->utilization) + " (" + worst->name + " the most), GPU idle " +
         pct(s.gpu_idle_fraction) + ": raise prefetch so more batches overlap";
}

}  // namespace feedgraph::detail
