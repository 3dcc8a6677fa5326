// One trial of a tune: a short run, measured after its warm-up (feedgraph/tune.hpp: measure_trial).
#include <time.h>

#include <algorithm>
#include <chrono>
#include <limits>

#include "feedgraph/errors.hpp"
#include "feedgraph/pipeline.hpp"
#include "feedgraph/tune.hpp"

namespace feedgraph {
namespace {

using Clock = std::chrono::steady_clock;

double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

/// Where the measured window starts and ends: wall time, samples and batches delivered, and CPU time.
struct Mark {
  double wall = 0;
  double cpu = 0;
  std::int64_t batches = 0;
  std::int64_t samples = 0;
};

/// The batches of the first wave: every worker of the widest node starts at once, so they land together
/// and would count as a burst. Bounded by prefetch, the most batches that can be in flight in front of the pin.
int first_wave(const PipelineSpec& spec, int warmup) {
  const int widest = std::max({spec.concurrency.read, spec.concurrency.transform, spec.concurrency.pin});
  return std::max(warmup, std::min(spec.prefetch, widest));
}

}  // namespace

TrialMeasurement measure_trial(const PipelineSpec& spec_in, const TuneOptions& options) {
  PipelineSpec spec = spec_in;
  const std::int64_t warmup = first_wave(spec, std::max(0, options.warmup_batches));
  const std::int64_t wanted = warmup + std::max<std::int64_t>(1, options.trial_batches);
  // A graph shorter than a trial runs more epochs; the memory it needs does not depend on them.
  const Plan planned = plan(spec);
  if (planned.batches < wanted) {
    const std::int64_t epochs = (wanted + planned.batches_per_epoch - 1) / planned.batches_per_epoch;
    spec.epochs = static_cast<int>(std::min<std::int64_t>(epochs, std::numeric_limits<int>::max()));
  }

  RunOptions run_options;
  run_options.limit.max_batches = wanted;
  run_options.limit.max_seconds = options.trial_seconds;
  // However slow the graph, enough batches past the warm-up to time a few intervals.
  run_options.limit.min_batches = warmup + std::max<std::int64_t>(4, warmup);

  // Marks are taken as batches leave compute (on_batch runs serially, on the graph's done node). The CPU
  // clock sums every thread of the process, which costs about a microsecond, so it is read at the start of
  // the window and then at most once a millisecond; the window's CPU ends at its last reading.
  const auto t0 = Clock::now();
  auto seconds_now = [&] { return std::chrono::duration<double>(Clock::now() - t0).count(); };
  Mark start, end, cpu_end;
  std::int64_t delivered = 0, samples = 0;
  bool started = false;
  run_options.on_batch = [&](const BatchRecord& b) {
    ++delivered;
    samples += static_cast<std::int64_t>(b.sample_ids.size());
    const double now = seconds_now();
    if (delivered == warmup || (warmup == 0 && !started)) {
      start = {now, process_cpu_seconds(), delivered, samples};
      cpu_end = start;
      started = true;
    } else if (started && now - cpu_end.wall >= 1e-3) {
      cpu_end = {now, process_cpu_seconds(), delivered, samples};
    }
    end = {now, 0, delivered, samples};
  };
  const double cpu_before = process_cpu_seconds();
  TrialMeasurement m;
  m.stats = run(spec, run_options);
  const double cpu_after = process_cpu_seconds();

  const std::int64_t measured = end.batches - start.batches;
  if (started && measured >= 2 && end.wall > start.wall) {
    m.samples_per_s = static_cast<double>(end.samples - start.samples) / (end.wall - start.wall);
    m.measured_batches = measured;
  } else {
    m.samples_per_s = m.stats.samples_per_s;  // too short a run to leave a warm-up out
    m.measured_batches = m.stats.batches;
  }
  if (started && cpu_end.batches > start.batches && cpu_end.wall > start.wall) {
    m.cpu_per_batch_s = (cpu_end.cpu - start.cpu) / static_cast<double>(cpu_end.batches - start.batches);
    m.cores_used = (cpu_end.cpu - start.cpu) / (cpu_end.wall - start.wall);
  } else if (m.stats.batches > 0) {
    // The whole run, set-up included: an overestimate, on runs too short to do better.
    m.cpu_per_batch_s = (cpu_after - cpu_before) / static_cast<double>(m.stats.batches);
    m.cores_used = m.stats.wall_s > 0 ? (cpu_after - cpu_before) / m.stats.wall_s : 0;
  }
  return m;
}

ServiceProfile profile_of(const PipelineSpec& spec, const TrialMeasurement& trial) {
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
  p.copy_stream = spec.transfer.copy_stream;
  p.pinned_slots = spec.buffers.pinned;
  p.device_buffers = spec.device_buffers();
  p.threads = spec.threads;
  return p;
}

}  // namespace feedgraph
