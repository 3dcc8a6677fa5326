#pragma once
// What a run measured. Times are seconds, rates per second, sizes bytes.
//
//   feedgraph::RunStats s = pipeline.stats();          // or feedgraph::run(spec)
//   std::printf("%.0f samples/s, %.1f GB/s over the link, GPU idle %.1f%%: %s\n", s.samples_per_s,
//               s.h2d_gbps, 100 * s.gpu_idle_fraction, s.verdict.c_str());
//   for (const auto& n : s.nodes) std::printf("%s busy %.0f%%\n", n.name.c_str(), 100 * n.utilization);
#include <cstdint>
#include <string>
#include <vector>

namespace feedgraph {

struct NodeStats {
  std::string name;            ///< read | transform | pin | copy | compute
  int concurrency = 1;
  std::int64_t batches = 0;
  double busy_s = 0;           ///< summed over workers; GPU nodes: stream time from events
  double utilization = 0;      ///< busy / (wall * concurrency), in [0, 1]
  double wait_input_s = 0;     ///< summed over batches: time a batch waited in front of this node
  double wait_token_s = 0;     ///< part of wait_input_s spent waiting for a pool token (buffer, slot)
  /// The host time in the node's body, summed over workers. Host nodes: busy_s. Copy and compute: their
  /// thread's time handing each batch's work to its stream (with device_transforms' decode_jpeg, nvJPEG's host
  /// side and its waits run there too). Near the wall while the stream looks busy, the submitting thread may be
  /// what holds the GPU back, not the GPU.
  double host_s = 0;
  /// The CPU time of the threads in the node's body, summed over workers (user + system): host_s less what
  /// they spent asleep or off a core. A wait that spins (a CUDA synchronize, by default) counts; one that
  /// sleeps does not.
  double cpu_s = 0;
};

/// The host CPU of a group of threads over a run's wall (RunStats::thread_cpu).
struct ThreadCpu {
  /// "graph": the threads that ran the graph's node bodies (oneTBB's workers) and the thread that ran the
  /// graph; else a thread name (a oneTBB worker that ran no node body keeps its own, the process's): the
  /// engine's own ("fg-watchdog", "fg-host-compute", "fg-nvjpeg", "fg-pull-graph"), the CUDA runtime's
  /// ("cuda-EvtHandlr", ...), a library's, or the program's own threads. A thread that one of the engine's
  /// started (a oneTBB worker the pulling thread woke first) takes its name on Linux; it shows as "started by
  /// fg-pull-graph", never as the engine's thread.
  std::string name;
  int threads = 0;   ///< alive at the end of the run
  double cpu_s = 0;  ///< user + system seconds over the wall
};

/// Where the memory of a run goes. All of it is allocated before the graph starts.
struct MemoryPlan {
  std::uint64_t host_bytes = 0;     ///< prefetch host buffers (+ staging for samples that change layout)
  std::uint64_t pinned_bytes = 0;   ///< page-locked staging slots (+ checksum readback)
  std::uint64_t device_bytes = 0;   ///< device buffers + compute scratch (host memory on the host backend)
  std::uint64_t cache_bytes = 0;    ///< dataset.cache: part of host_bytes or pinned_bytes, shown apart
  std::uint64_t total() const { return host_bytes + pinned_bytes + device_bytes; }
};

/// One span of work on one lane of the run's timeline: a node worker running its body for a batch, or a
/// copy or kernel on a stream. Lanes: a node's workers are `read/0`, `read/1`, ...; the streams are
/// `copy stream` and `compute stream` (copies run on the compute stream when transfer.copy_stream is off).
struct TimelineSpan {
  std::string lane;       ///< "read/0", "transform/3", "pin/1", "copy stream", "compute stream"
  std::string node;       ///< read | transform | pin | copy | compute
  std::int64_t ticket = 0;
  double begin_s = 0;     ///< on the run clock: seconds since the graph started
  double end_s = 0;
};

/// A sample left out of its batch under `on_error: skip`.
struct SkippedSample {
  std::int64_t id = 0;      ///< dataset id
  std::int64_t batch = 0;   ///< the ticket of the batch it was left out of
  std::string where;        ///< file and offset
  std::string message;
};

struct RunStats {
  std::string graph;
  std::string variant;           ///< serial | concurrent
  /// The run was ended early by Pipeline::stop() (Ctrl-C in the `feedgraph` command): the report covers the
  /// batches delivered before it.
  bool interrupted = false;
  /// A pulling run (Pipeline::batches, Python): the share of the wall time the consumer spent waiting for a
  /// batch. Near 0, the loop's own work sets the pace, not the input. -1 for runs with a compute stage.
  double consumer_wait_fraction = -1;
  std::string backend;           ///< cuda | host
  std::string device_name;
  std::int64_t batches = 0;
  std::int64_t samples = 0;      ///< delivered to compute (skipped samples are not counted)
  std::int64_t skipped = 0;      ///< samples left out under `on_error: skip`
  std::vector<SkippedSample> skipped_samples;  ///< each of them (the first 1000)
  double setup_s = 0;            ///< allocation and stage preparation, before the graph starts
  double cache_fill_s = 0;       ///< with dataset.cache: reading the dataset into memory (part of setup_s)
  double wall_s = 0;             ///< first ticket to last batch computed
  /// The process's CPU time over wall_s, every thread (user + system): the node bodies' (NodeStats::cpu_s)
  /// and the rest, oneTBB's, CUDA's and the libraries' threads, and in a pulling run the loop's own.
  /// cores_busy() is cpu_s / wall_s; setup's CPU is not in it.
  double cpu_s = 0;
  /// cpu_s by thread, largest first (ThreadCpu): threads that ended during the run are left out. Empty where the
  /// threads cannot be read (not Linux).
  std::vector<ThreadCpu> thread_cpu;
  double samples_per_s = 0;
  double batches_per_s = 0;
  std::uint64_t bytes_copied = 0;
  double h2d_gbps = 0;           ///< bytes copied / wall (what the graph delivered across the link)
  double copy_gbps = 0;          ///< bytes copied / copy-busy time (the link rate while copying)
  double copy_s = 0;             ///< copy stream busy time
  double compute_s = 0;          ///< compute stream busy time
  double gpu_idle_fraction = 0;  ///< 1 - compute busy / wall
  double copy_hidden_fraction = 0;  ///< share of copy time that overlapped compute
  /// The compute stream's idle gaps between consecutive batches (starvation): total, largest, and the
  /// idle share of the steady state (first kernel start to last kernel end), which leaves out the fill.
  double gpu_gap_total_s = 0;
  double gpu_gap_largest_s = 0;
  double gpu_idle_steady_fraction = 0;
  double latency_p50_s = 0, latency_p95_s = 0, latency_p99_s = 0;  ///< ticket issued → batch computed
  MemoryPlan memory;             ///< planned, before the run
  std::uint64_t peak_memory_bytes = 0;  ///< measured: the most the engine's allocators held at once
  std::string verdict;
  std::vector<NodeStats> nodes;
  std::vector<TimelineSpan> timeline;  ///< every node body and every copy and kernel, by lane

  /// The host cores the run kept busy on average: cpu_s / wall_s (0 before a run has a wall).
  double cores_busy() const { return wall_s > 0 ? cpu_s / wall_s : 0; }
};

}  // namespace feedgraph
