#pragma once
// A benchmark scenario: a graph, and the bound the hardware puts on it. The runner times, in one process,
// the graph's serial twin, the graph itself and the bound, each the median of several runs.
#include <functional>
#include <string>

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
  bool serial_twin = true;     ///< time the serial twin too
  std::function<Bound(const BoundInputs&)> bound;
};

/// 1 / (the slowest host stage's service time over its concurrency): what the graph could do if only its
/// busiest stage limited it. Service times come from the serial twin, where nothing overlaps.
Bound stage_bound(const BoundInputs& in);
/// The compute stream alone: samples over the kernels' summed event time.
Bound compute_bound(const BoundInputs& in);
/// The raw pinned copy loop at the graph's batch size (cuda), or one thread's memcpy (host).
Bound transfer_bound(const BoundInputs& in);

Scenario seed_scenario();
Scenario transfer_bound_scenario();
Scenario cpu_bound_scenario();
Scenario compute_bound_scenario();
Scenario overhead_scenario();

}  // namespace feedgraph::bench
