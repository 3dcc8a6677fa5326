#pragma once
// `feedgraph tune`: the fastest concurrency and prefetch for a graph on this machine, inside its memory budget.
//
//   auto pipeline = feedgraph::Pipeline::from_file("graphs/cpu-bound.yaml");
//   auto result = feedgraph::tune(pipeline, {}, [](const feedgraph::TuneTrial& t) {
//     std::cerr << t.index << ": " << t.settings.text() << ", " << t.measured_samples_per_s << " samples/s\n";
//   });
//   pipeline.run(result.best);                        // the file's settings with the chosen ones
//
// Every trial is a run of the same Pipeline with other settings: the pipeline is built once.
//
// How it searches (tune()):
// 1. Trial 1 runs every searched key at 1. Nothing overlaps there, so each node's busy time per batch is its
//    service time; the streams' time per batch and the process's CPU time per batch come from the same run.
// 2. The model (predict()) bounds the throughput of any setting by each node's concurrency over its service
//    time, the streams, Little's law for every token pool, the cores and `threads`. Trial 2 is the cheapest
//    setting (fewest workers, least memory) that reaches the model's best.
// 3. Trial 3 is the spec's own setting, so that a tune never hands back less than the file had.
// 4. Each later trial starts from the best measured one, finds what limited it (the node whose measured
//    capacity, workers over measured busy time per batch, is lowest; the host-buffer pool; the streams; the
//    cores) and raises that key to where the next limit would bind, at most doubling it.
// It stops at max_trials or max_seconds, when the limit is one no key moves (a stream, the cores), when a
// key is at its upper limit or the budget, or after two trials that did not improve on the best by 5%.
// With two trials to spare, and the runner-up within 10% of the best, both are measured once more and the
// choice goes by the mean: one short run on a shared machine can be off by that much.
// Every candidate is planned first (Pipeline::plan, nothing allocated); one over the memory budget never runs.
//
// `auto` in a pipeline file (concurrency.read: auto, prefetch: auto) is a short tune of those keys alone,
// run when the pipeline starts: resolve_auto().
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "feedgraph/pipeline.hpp"
#include "feedgraph/settings.hpp"
#include "feedgraph/spec.hpp"
#include "feedgraph/stats.hpp"

namespace feedgraph {

/// The keys a tune searches: concurrency.read, .transform, .pin and prefetch.
struct TuneSettings {
  int read = 1;
  int transform = 1;
  int pin = 1;
  int prefetch = 1;

  bool operator==(const TuneSettings&) const = default;
  /// "read 4, transform 2, pin 1, prefetch 6". Throws nothing.
  std::string text() const;
};

/// The four keys of `settings` (kAuto where still `auto`). Throws nothing.
TuneSettings settings_of(const RunSettings& settings);
/// `settings` with the four keys set; everything else, `buffers` included, unchanged. Throws nothing.
RunSettings with_settings(RunSettings settings, const TuneSettings& tuned);

/// What one batch costs each part of the graph, measured in one run (TuneResult::profile; profile_of()).
struct ServiceProfile {
  double read_s = 0;       ///< one read body's wall time per batch (one worker)
  double transform_s = 0;  ///< one transform body's
  double pin_s = 0;        ///< one pin body's (0 without a pin node)
  double copy_s = 0;       ///< copy stream time per batch
  double compute_s = 0;    ///< compute stream time per batch
  double cpu_s = 0;        ///< the process's CPU time per batch, every thread (the host backend's stand-ins too)
  double samples_per_batch = 0;
  bool pin_node = true;     ///< batches are copied into pinned slots by a pin node
  bool copy_stream = true;  ///< copies have their own stream; off: they queue with the kernels
  int pinned_slots = 0;     ///< `buffers.pinned`; 0: derived, pin + 1
  int device_buffers = 2;
  int threads = 0;          ///< the settings' `threads`; 0: auto, no limit but the cores' (a bound of its own)
};

/// The model's throughput for one setting, and the bound that sets it.
struct Prediction {
  double batches_per_s = 0;
  double samples_per_s = 0;
  /// read | transform | pin | prefetch | pinned slots | device buffers | copy | compute | cores | threads
  std::string limit;
};

/// The least of these bounds on batches/s (a bound whose time is 0 does not bind):
///   concurrency.N / N_s for read, transform and pin;
///   1 / copy_s and 1 / compute_s (no key scales a stream), 1 / (copy_s + compute_s) without copy_stream;
///   prefetch / (read_s + transform_s + pin_s, + copy_s without a pin node): Little's law for the host
///   buffers, each held from the start of its read until the pin (or the copy) is done;
///   pinned slots / (pin_s + copy_s) and device buffers / (copy_s + compute_s), the same for those pools;
///   cores / cpu_s; and with `threads`, threads / (read_s + transform_s + pin_s).
/// Throws nothing.
Prediction predict(const ServiceProfile& profile, const TuneSettings& settings, int cores);

/// The upper ends of the search, per key (the lower end is 1). 0: derived from the cores: max(8, 2 × cores)
/// workers per node, twice that for prefetch, and never below the spec's own value.
struct TuneLimits {
  int read = 0;
  int transform = 0;
  int pin = 0;
  int prefetch = 0;
};

/// Which keys a tune searches; a key left out keeps the spec's value. Keys that do not apply to the graph
/// (transform without transforms, pin without a pin node) are never searched.
struct TuneKeys {
  bool read = true;
  bool transform = true;
  bool pin = true;
  bool prefetch = true;
};

struct TuneOptions {
  int max_trials = 12;        ///< measured runs, the first (service-time) one included
  double max_seconds = 120;   ///< no trial starts once it would end past this, counted from the start
  std::uint64_t memory_budget = 0;  ///< bytes; 0: the settings' memory_budget (0 there too: none); never looser
  int cores = 0;              ///< 0: std::thread::hardware_concurrency()
  double trial_seconds = 1.0;       ///< a trial issues no batch after this (set-up not counted) ...
  std::int64_t trial_batches = 100000;  ///< ... nor more than this many after its warm-up (tiny batches: ~1 s too)
  /// A trial's first batches are left out of its figure: at least this many, and at least the first wave
  /// (every worker of the widest node starts at once, so the first batches land together).
  int warmup_batches = 2;
  TuneLimits limits;
  TuneKeys keys;
  /// Measure the spec's own setting as one trial (when it is in the space and the budget).
  bool try_spec_settings = true;
};

/// The budget a tune plans its candidates against: the tighter of the settings' memory_budget and
/// options.memory_budget (either 0: the other; both 0: none). A tune never loosens the file's budget. Throws
/// nothing.
std::uint64_t tune_memory_budget(const RunSettings& settings, const TuneOptions& options);

/// One measured run of a tune.
struct TuneTrial {
  int index = 0;  ///< 1-based
  TuneSettings settings;
  std::string why;  ///< "service times", "model", "the file's settings", "raise read: ..."
  double predicted_samples_per_s = 0;  ///< the model's figure, from trial 1's profile
  std::string predicted_limit;
  double measured_samples_per_s = 0;   ///< steady state: after the warm-up batches
  std::string measured_limit;          ///< what limited this trial, from its own measurements
  double cores_used = 0;               ///< process CPU seconds per second over the measured batches
  double seconds = 0;                  ///< the trial's wall time, set-up included
  MemoryPlan memory;                   ///< its plan (never over the budget)
  RunStats stats;                      ///< the run, as `feedgraph run` reports it
};

struct TuneResult {
  std::string graph;            ///< the pipeline's name
  RunSettings best;             ///< the pipeline's settings, with the best trial's four keys
  TuneSettings best_settings;
  int best_trial = 0;           ///< the first trial of the best setting
  double best_samples_per_s = 0;  ///< the mean of that setting's trials (more than one after a confirmation)
  TuneSettings spec_settings;   ///< what the spec had (kAuto where `auto`)
  double spec_predicted_samples_per_s = 0;  ///< the model's figure for those (0 when any is `auto`)
  ServiceProfile profile;       ///< from trial 1
  double model_best_samples_per_s = 0;  ///< the model's best within the limits (before the budget)
  std::vector<TuneTrial> trials;
  std::string stopped;          ///< why the search ended
  double seconds = 0;
  int cores = 0;
  std::uint64_t memory_budget = 0;  ///< 0: none
  TuneLimits limits;            ///< as used: derived entries filled in
  std::vector<std::string> keys;  ///< the keys searched: "concurrency.read", ..., "prefetch"
  std::string backend;          ///< cuda | host
  std::string device_name;
};

/// Tune the concurrency and prefetch of `pipeline`'s settings (see the top of this header): every trial is a
/// run of `pipeline`, which is not built again; its settings() are left as they were. `on_trial` is called
/// after every trial, in order. Throws Error when options.max_trials is below 1, options.trial_seconds is not
/// above 0 or even the all-ones setting is over the budget; what planning a trial or a run throws; and what
/// `on_trial` throws, as thrown.
TuneResult tune(Pipeline& pipeline, const TuneOptions& options = {},
                const std::function<void(const TuneTrial&)>& on_trial = {});
/// The same for a spec: builds it once (`auto` keys left for the search) and tunes that. Throws what building
/// a Pipeline throws, then as above.
TuneResult tune(const PipelineSpec& spec, const TuneOptions& options = {},
                const std::function<void(const TuneTrial&)>& on_trial = {});

/// One trial as tune() measures it: `settings` run for options.trial_seconds or options.trial_batches after
/// the warm-up, whichever ends first (its epochs raised where one pass is shorter than that).
struct TrialMeasurement {
  Plan plan;                 ///< the trial's plan (its settings and shape)
  double samples_per_s = 0;  ///< over the batches after the warm-up (the whole run's when too few)
  std::int64_t measured_batches = 0;
  double cpu_per_batch_s = 0;  ///< process CPU time per batch over the same batches
  double cores_used = 0;
  RunStats stats;
};
/// One trial of `settings` on `pipeline`, measured as tune() measures it. Throws what
/// pipeline.plan(settings) throws, before anything runs, then what the run throws.
TrialMeasurement measure_trial(Pipeline& pipeline, const RunSettings& settings, const TuneOptions& options = {});

/// The profile of the graph from a trial (trial 1's: every key at 1). Throws nothing.
ServiceProfile profile_of(const TrialMeasurement& trial);

/// The options `auto` uses at start-up: a few short trials (6 trials of 0.3 s, 10 s at most). Throws nothing.
TuneOptions auto_tune_options();

/// Settings with their `auto` keys chosen, and the line that says what was chosen.
struct AutoResolution {
  RunSettings settings;
  /// "auto: concurrency.read 3, prefetch 4 (tuned in 5 trials, 2.1 s: 1520 samples/s)"; empty when the spec
  /// had no `auto` key.
  std::string line;
};
/// Tunes the keys of `pipeline.settings()` still `auto` and no other (auto_tune_options(), under the
/// settings' memory_budget), and makes the result the pipeline's settings. Returns the settings unchanged,
/// and an empty line, when none is `auto`. Throws what tune() throws.
AutoResolution resolve_auto(Pipeline& pipeline, const TuneOptions& options = auto_tune_options());

/// `original` (a pipeline file's text) with the tuned keys (`keys`: "concurrency.read", ..., "prefetch") set
/// to `settings`, and `comment` ("tuned by feedgraph tune on ...") as its first line, replacing such a line
/// left by an earlier tune. Everything else, comments included, stays as written. Keys the file lacks are
/// added; a file whose layout cannot be edited in place (a flow-style top level) is written out again by
/// yaml-cpp, comments lost. Throws ConfigError (origin:line:col) when `original` is not YAML or its top
/// level is not a mapping, and Error for an entry of `keys` that is not one of the four tuned keys.
std::string tuned_yaml(std::string_view original, const std::string& origin, const TuneSettings& settings,
                       const std::vector<std::string>& keys, const std::string& comment);

}  // namespace feedgraph
