// One trial of a tune: a short run, measured after its warm-up (feedgraph/tune.hpp: measure_trial).
#include <algorithm>
#include <chrono>
#include <limits>

#include "feedgraph/errors.hpp"
#include "feedgraph/pipeline.hpp"
#include "feedgraph/tools/tune.hpp"
#include "report/cpu_clock.hpp"

namespace feedgraph {
namespace {

using Clock = std::chrono::steady_clock;

using detail::process_cpu_seconds;

/// A reading of the process's CPU clock as a batch left compute: when (on the trial's own clock), the CPU
/// seconds so far, and how many batches had left.
struct CpuMark {
  double wall = 0;
  double cpu = 0;
  std::int64_t batches = 0;
};

/// The batches of the first wave: every worker of the widest node starts at once, so they land together
/// and would count as a burst. Bounded by prefetch, the most batches that can be in flight in front of the pin.
int first_wave(const RunSettings& settings, int warmup) {
  const int widest = std::max({settings.concurrency.read, settings.concurrency.transform, settings.concurrency.pin});
  return std::max(warmup, std::min(settings.prefetch, widest));
}

struct SteadyRate {
  double samples_per_s = 0;
  std::int64_t batches = 0;
};

/// The rate while the pipeline was full: from the warm-up's last completion to the last completion before the
/// last batch entered read. After that the graph only drains what it holds, at the speed of the nodes behind
/// the limit with nothing upstream competing for the cores, which flatters a deep pipeline in a short run.
/// Completions are the compute spans' ends, on the run's clock (CUDA events are placed on it too).
SteadyRate steady_rate(const RunStats& stats, std::int64_t warmup) {
  std::vector<double> done;
  double last_entry = 0;
  for (const auto& span : stats.timeline) {
    if (span.node == "compute") done.push_back(span.end_s);
    if (span.node == "read") last_entry = std::max(last_entry, span.begin_s);
  }
  std::sort(done.begin(), done.end());
  const auto full = static_cast<std::int64_t>(std::upper_bound(done.begin(), done.end(), last_entry) - done.begin());
  const std::int64_t first = std::max<std::int64_t>(warmup, 1) - 1;  // the warm-up's last completion
  if (full - 1 - first < 2 || stats.batches == 0) return {};
  const double t0 = done[static_cast<std::size_t>(first)];
  const double t1 = done[static_cast<std::size_t>(full - 1)];
  if (!(t1 > t0)) return {};
  const double samples_per_batch = static_cast<double>(stats.samples) / static_cast<double>(stats.batches);
  const std::int64_t batches = full - 1 - first;
  return {static_cast<double>(batches) * samples_per_batch / (t1 - t0), batches};
}

}  // namespace

TrialMeasurement measure_trial(Pipeline& pipeline, const RunSettings& settings_in, const TuneOptions& options) {
  RunSettings settings = settings_in;
  const std::int64_t warmup = first_wave(settings, std::max(0, options.warmup_batches));
  // However slow the graph, enough batches to time a few intervals between the warm-up and the drain (the
  // batches in flight when the last one enters, up to prefetch, are not counted).
  const std::int64_t least = 2 * warmup + settings.prefetch + 4;
  const std::int64_t wanted = std::max(least, warmup + std::max<std::int64_t>(1, options.trial_batches));
  // A graph shorter than a trial runs more epochs; the memory it needs does not depend on them.
  const Plan planned = pipeline.plan(settings);
  if (planned.batches < wanted) {
    const std::int64_t epochs = (wanted + planned.batches_per_epoch - 1) / planned.batches_per_epoch;
    settings.epochs = static_cast<int>(std::min<std::int64_t>(epochs, std::numeric_limits<int>::max()));
  }
  settings.limit.max_batches = wanted;
  settings.limit.max_seconds = options.trial_seconds;
  settings.limit.min_batches = least;

  RunOptions run_options;

  // The CPU clock sums every thread of the process, which costs about a microsecond: it is read as the
  // warm-up's last batch leaves compute (on_batch runs serially, on the graph's done node), then at most once
  // a millisecond; the window's CPU ends at its last reading.
  const auto t0 = Clock::now();
  auto seconds_now = [&] { return std::chrono::duration<double>(Clock::now() - t0).count(); };
  CpuMark start, last;
  std::int64_t delivered = 0;
  run_options.on_batch = [&](const BatchRecord&) {
    ++delivered;
    if (delivered < std::max<std::int64_t>(warmup, 1)) return;
    const double now = seconds_now();
    if (start.batches == 0) {
      start = last = {now, process_cpu_seconds(), delivered};
    } else if (now - last.wall >= 1e-3) {
      last = {now, process_cpu_seconds(), delivered};
    }
  };
  const double cpu_before = process_cpu_seconds();
  TrialMeasurement m;
  m.plan = planned;
  m.stats = pipeline.run(settings, run_options);
  const double cpu_after = process_cpu_seconds();

  const SteadyRate steady = steady_rate(m.stats, warmup);
  if (steady.batches >= 2) {
    m.samples_per_s = steady.samples_per_s;
    m.measured_batches = steady.batches;
  } else {
    m.samples_per_s = m.stats.samples_per_s;  // too short a run to leave a warm-up and the drain out
    m.measured_batches = m.stats.batches;
  }
  if (last.batches > start.batches && last.wall > start.wall) {
    m.cpu_per_batch_s = (last.cpu - start.cpu) / static_cast<double>(last.batches - start.batches);
    m.cores_used = (last.cpu - start.cpu) / (last.wall - start.wall);
  } else if (m.stats.batches > 0) {
    // The whole run, set-up included: an overestimate, on runs too short to do better.
    m.cpu_per_batch_s = (cpu_after - cpu_before) / static_cast<double>(m.stats.batches);
    m.cores_used = m.stats.wall_s > 0 ? (cpu_after - cpu_before) / m.stats.wall_s : 0;
  }
  return m;
}

ServiceProfile profile_of(const TrialMeasurement& trial) {
  const RunStats& s = trial.stats;
  ServiceProfile p;
  auto per_batch = [](double seconds, std::int64_t batches) {
    return batches > 0 ? seconds / static_cast<double>(batches) : 0.0;
  };
  p.pin_node = false;
  for (const auto& n : s.nodes) {
    const double t = per_batch(n.busy_s, n.batches);
    if (n.name == "read") p.read_s = t;
    if (n.name == "transform") p.transform_s = t;
    if (n.name == "pin") p.pin_s = t, p.pin_node = true;
  }
  p.copy_s = per_batch(s.copy_s, s.batches);
  p.compute_s = per_batch(s.compute_s, s.batches);
  p.cpu_s = trial.cpu_per_batch_s;
  p.samples_per_batch = s.batches > 0 ? static_cast<double>(s.samples) / static_cast<double>(s.batches) : 0;
  const RunSettings& settings = trial.plan.settings;
  p.copy_stream = settings.transfer.copy_stream;
  p.pinned_slots = settings.buffers.pinned;
  p.device_buffers = trial.plan.shape.device_buffers;
  p.threads = settings.threads;
  return p;
}

}  // namespace feedgraph
