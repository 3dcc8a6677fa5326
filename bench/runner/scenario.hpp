#pragma once
// A benchmark scenario: a graph, and the bound the hardware puts on it. The runner times, in one process,
// the graph's serial twin, the graph itself and the bound, each the median of several runs.
#include <functional>
#include <string>
#include <vector>

#include "feedgraph/feedgraph.hpp"

namespace feedgraph::bench {

/// What the bound of a scenario may use: the pipeline, its plan, and the runs already made.
struct BoundInputs {
  const PipelineSpec& spec;
  const Plan& plan;
  const RunStats& serial;      ///< a serial-twin run (median samples/s)
  const RunStats& concurrent;  ///< a concurrent run (median samples/s)
};

/// The most samples/s the hardware allows this graph, and what that bound is.
struct Bound {
  double samples_per_s = 0;  ///< 0: the scenario has no bound to compare with
  std::string what;
};

struct Scenario {
  std::string name;
  std::string graph;           ///< a file under graphs/
  std::string shows;           ///< one line: what the scenario demonstrates
  bool host_only = false;      ///< runs on the host backend whatever the machine has
  bool serial_twin = true;     ///< time the baseline too (the serial twin, unless `baseline` says otherwise)
  std::function<Bound(const BoundInputs&)> bound;
  /// `--set` overrides for the graph (where its dataset is, say).
  std::vector<std::string> overrides = {};
  /// When not empty, the baseline is the graph with these overrides instead of its serial twin: a
  /// comparison of one setting (float32 across the link against uint8, one decoder against two).
  std::vector<std::string> baseline = {};
  /// What the baseline column holds, for the table. Set with empty `baseline`: the graph unchanged (run
  /// by Pipeline::run, against `run` for the other column).
  std::string baseline_name = {};
  /// Run once before anything is timed: writes the dataset the graph reads, when it is not there yet.
  std::function<void()> prepare = {};
  /// When set, runs the graph instead of Pipeline::run (a training loop pulling its batches, say); the
  /// baseline still runs as Pipeline::run does.
  std::function<RunStats(Pipeline&)> run = {};
  /// The table's note gives the host CPU time per sample of both variants over their wall (RunStats::cpu_s),
  /// and the CPU the graph's setup took besides.
  bool report_cpu = false;
};

/// 1 / (the slowest host stage's service time over its concurrency): what the graph could do if only its
/// busiest stage limited it. Service times come from the serial twin, where nothing overlaps.
Bound stage_bound(const BoundInputs& in);
/// The compute stream alone: samples over the kernels' summed event time.
Bound compute_bound(const BoundInputs& in);
/// The raw pinned copy loop at the graph's batch size (cuda), or one thread's memcpy (host).
Bound transfer_bound(const BoundInputs& in);
/// The graph's host transforms alone on `concurrency.transform` plain threads, over samples read into memory
/// once (feedgraph::measure_transforms_alone); `what` also gives one thread's rate and the ratio of the two.
Bound transforms_alone_bound(const BoundInputs& in);
/// nvJPEG's batched decode alone on the graph's files (feedgraph::measure_device_decode_alone).
Bound device_decode_alone_bound(const BoundInputs& in);
/// No bound: for scenarios that compare with a baseline setting instead.
inline Bound no_bound(const BoundInputs&) { return Bound{}; }

Scenario seed_scenario();
Scenario transfer_bound_scenario();
Scenario cpu_bound_scenario();
Scenario compute_bound_scenario();
Scenario overhead_scenario();
Scenario images_scenario();
Scenario jpeg_decode_scenario();
/// images-gpu (320x240) and images-gpu-500 (500x375): decode on the GPU against decode on every core.
std::vector<Scenario> images_gpu_scenarios();
/// pull-transfer-bound, pull-seed, pull-overhead: Pipeline::batches against the built-in compute node.
std::vector<Scenario> pull_scenarios();

/// Where bench datasets are written (made once, reused): $FEEDGRAPH_BENCH_DATA, else ./bench-data.
std::string bench_data_dir();
/// A `prepare` that writes `samples` make-dataset JPEG files of width x height into `dir` unless it exists.
/// `size_jitter`: make-dataset's --size-jitter (file sizes that vary as photos' do).
std::function<void()> make_images_once(std::string dir, std::int64_t samples, int width, int height,
                                       double size_jitter = 0);

}  // namespace feedgraph::bench
