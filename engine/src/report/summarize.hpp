#pragma once
// From what the nodes recorded to the numbers of a report: throughput, GPU busy and idle, copy overlap,
// latency percentiles, utilization, and the verdict.
#include <string>
#include <vector>

#include "feedgraph/pipeline.hpp"
#include "report/ticket_times.hpp"

namespace feedgraph::detail {

/// What the verdict weighs besides the numbers: the run's switches and the machine under it.
struct VerdictFacts {
  RunSettings settings;
  bool pin_node = false;
  bool host_transforms = false;  ///< the file has host transforms (device_transforms could take them over)
  int cores = 1;                 ///< the cores the graph's threads could run on
  double consumer_wait_fraction = -1;  ///< RunStats' field: a pulling run's consumer waiting for batches
  double graph_core_wait_s = -1;  ///< RunInputs' field: the graph's threads waiting for a core (other threads' turn)
};

struct RunInputs {
  const PipelineSpec& spec;
  const Plan& plan;
  const std::vector<TicketTimes>& times;
  std::string backend{};
  std::string device_name{};
  double wall_s = 0;
  double cpu_s = 0;  ///< the process's CPU seconds over wall_s
  std::vector<ThreadCpu> thread_cpu{};  ///< cpu_s by thread
  double graph_core_wait_s = -1;  ///< the graph's threads' time ready to run but waiting for a core; -1: unknown
  double setup_s = 0;
  std::uint64_t peak_memory_bytes = 0;
  std::int64_t samples_delivered = 0;  ///< what reached compute (skipped samples left out)
  std::int64_t skipped = 0;
  std::vector<SkippedSample> skipped_samples{};
  double cache_fill_s = 0;
  std::vector<NodeStats> nodes{};  ///< busy, batches and waits filled; utilization computed here
  int cores = 1;                 ///< the cores the graph's threads could run on
  bool interrupted = false;      ///< stopped early (Pipeline::stop, Ctrl-C)
  double consumer_wait_s = -1;   ///< a pulling consumer's time spent waiting for batches; -1: not a pulling run
};

RunStats summarize_run(RunInputs in);

/// One line: which node limits the graph and the setting that would move it. It never advises more workers
/// than the cores can run: a host node saturated with the cores busy is CPU-bound on this host.
std::string verdict(const RunStats& s, const VerdictFacts& facts);

}  // namespace feedgraph::detail
