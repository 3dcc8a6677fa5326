#pragma once
// Run a pipeline: build its flow graph, allocate every buffer, push every batch through, report.
//
// In a training loop, a Pipeline hands out the batches (pull), or calls your code with each (push):
//
//   auto pipeline = feedgraph::Pipeline::from_file("graphs/images.yaml");
//   for (feedgraph::DeviceBatch& batch : pipeline.batches(stream)) {   // pull: ready on `stream`
//     train_step(batch.data_as<float>(), batch.labels(), batch.samples(), stream);
//   }
//   std::cout << pipeline.stats().samples_per_s << " samples/s\n";
//
//   pipeline.run([&](feedgraph::DeviceBatch& batch, cudaStream_t s) {   // push: on the engine's compute stream
//     train_step(batch.data_as<float>(), batch.labels(), batch.samples(), s);
//   });
//
// Or run a pipeline file as the `feedgraph` command does, with its own compute stage:
//
//   auto spec  = feedgraph::load_pipeline("graphs/seed.yaml");
//   auto plan  = feedgraph::plan(spec);          // validates stages, sizes memory; allocates nothing
//   auto stats = feedgraph::run(spec);           // throws feedgraph::Error on any failure
//   std::cout << stats.samples_per_s << " samples/s, " << stats.verdict << "\n";
#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "feedgraph/device_batch.hpp"
#include "feedgraph/layout.hpp"
#include "feedgraph/spec.hpp"
#include "feedgraph/stats.hpp"

namespace feedgraph {

/// What a run will be, before it runs.
struct Plan {
  std::string backend;           ///< the backend `device` resolves to: cuda | host
  int device_index = 0;
  std::string device_name;
  std::string device_reason;     ///< why `auto` picked it ("no CUDA device answered", ...)
  SampleLayout layout;           ///< the layout the compute node sees (after device_transforms)
  SampleLayout transfer_layout;  ///< the layout that crosses the link (after the host transforms)
  SampleLayout source_layout;    ///< what the source produces (entries `kVaries` where samples differ)
  std::int64_t dataset_samples = 0;  ///< the whole dataset, every shard
  int shard_index = 0, shard_count = 1;
  std::string shard_from;        ///< `shard: auto`: the variables it came from; empty otherwise
  std::int64_t samples = 0;      ///< per epoch, in this shard
  std::int64_t batches_per_epoch = 0;
  std::int64_t batches = 0;      ///< all epochs
  std::size_t batch_bytes = 0;   ///< a full batch, as it crosses the link
  MemoryPlan memory;
};

/// One batch as it left the compute node, for callers that check what arrived.
struct BatchRecord {
  std::int64_t ticket = 0;  ///< dense, 0-based over the whole run
  std::int64_t epoch = 0;
  std::int64_t index = 0;   ///< within the epoch
  std::span<const std::int64_t> sample_ids;  ///< in batch order; skipped samples are not in it
  std::span<const std::int64_t> labels;      ///< one per sample id
  std::uint64_t host_checksum = 0;    ///< computed before the copy (0 when verify is off)
  std::uint64_t device_checksum = 0;  ///< computed by the compute stage after the copy
};

/// A run shorter than its plan, for tuning trials and quick looks. Tickets stop being issued once
/// `max_batches` have been (0: every batch of the plan), or once `max_seconds` have passed since the graph
/// started (0: no time limit) and at least `min_batches` have been issued. Every batch issued finishes, so
/// the report covers exactly the batches delivered (RunStats::batches). Not for pulling runs: a consumer
/// ends those with Pipeline::stop().
struct RunLimit {
  std::int64_t max_batches = 0;
  double max_seconds = 0;
  std::int64_t min_batches = 0;
  bool active() const { return max_batches > 0 || max_seconds > 0; }
};

struct RunOptions {
  /// Called once per batch, serially, in the order batches completed (ticket order when `ordered`).
  std::function<void(const BatchRecord&)> on_batch;
  /// A progress line on stderr, refreshed a few times a second.
  bool progress = false;
  RunLimit limit;
};

/// Validate the stages and size the memory; throws ConfigError (bad stage options), Error (memory budget, or
/// a key still `auto`: resolve_auto() in feedgraph/tune.hpp picks its value first).
Plan plan(const PipelineSpec& spec);

/// Run the pipeline once. Throws StageError, CudaError, StallError, ConfigError or Error.
RunStats run(const PipelineSpec& spec, const RunOptions& options = {});

/// "0.1.0"
const char* version() noexcept;

/// How far a run has got, readable at any time from any thread.
struct Progress {
  std::int64_t batches = 0;  ///< delivered to compute (or to the consumer)
  std::int64_t batches_total = 0;
  std::int64_t samples = 0;
  double seconds = 0;        ///< since the graph started
  bool running = false;
};

/// A pipeline in a program: its stages built and its memory planned once, then run as often as asked.
///
///   auto pipeline = feedgraph::Pipeline::from_yaml(R"(
///     name: loop
///     batch_size: 256
///     dataset: {source: records, path: data/train}
///     device_transforms: [{normalize: {mean: 127.5, std: 64}}]
///   )");
///   std::cout << pipeline.plan().memory.total() << " bytes\n";
///
/// Each run is one pass over the file's `epochs`. The file's `compute` is the built-in compute stage; a
/// pulling consumer or a push callable takes its place. Errors: building throws ConfigError (file:line:col)
/// or Error (memory budget, no device); a run's failure reaches the consumer as the StageError, CudaError
/// or StallError the `feedgraph` command would report.
///
/// Threads: a Pipeline is used from one thread at a time (the consumer's). The graph runs on threads of its
/// own; `progress()` may be called from any thread.
class Pipeline {
 public:
  /// The function a push run calls once per batch, in order when `ordered`, on the engine's compute thread.
  /// `stream` is the compute stream (null on the host backend): queue work on it and return; never wait
  /// for it. The batch is lent for the call (see feedgraph/device_batch.hpp).
  using BatchFunction = std::function<void(DeviceBatch& batch, CUstream_st* stream)>;

  static Pipeline from_file(const std::string& path, const std::vector<std::string>& overrides = {});
  static Pipeline from_yaml(std::string_view yaml, const std::string& origin = "<yaml>",
                            const std::vector<std::string>& overrides = {});
  /// A spec built in code (or loaded and then changed): validated, its stages built, its memory planned.
  /// Keys written `auto` are chosen first by a short tune (feedgraph/tune.hpp: resolve_auto), which runs the
  /// file's own compute stage for a few seconds at most and logs what it chose to stderr (see tuning()).
  explicit Pipeline(PipelineSpec spec);

  Pipeline(Pipeline&&) noexcept;
  Pipeline& operator=(Pipeline&&) noexcept;
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;
  /// Stops a run still in progress (as stop()) and frees every buffer.
  ~Pipeline();

  const PipelineSpec& spec() const;  ///< as run: `auto` keys resolved
  const Plan& plan() const;
  /// What `auto` resolved to, the line logged at start-up: "auto: prefetch 4 (tuned in 5 trials, ...)";
  /// empty when the spec had no `auto` key.
  const std::string& tuning() const;

  class BatchRange;
  /// Start a run and pull its batches: each is ready for work queued on `stream` (the engine makes the
  /// stream wait for the copy on the device; the host does not wait). Batches come in order when `ordered`.
  /// The graph starts prefetching at once, before the first batch is asked for. `stream` is a cudaStream_t
  /// (null: the legacy default stream; ignored on the host backend).
  BatchRange batches(CUstream_st* stream = nullptr, RunOptions options = {});

  /// Run once, calling `fn` with every batch (push), and return the run's metrics.
  RunStats run(BatchFunction fn, const RunOptions& options = {});
  /// Run once with the file's own compute stage, as `feedgraph run` does.
  RunStats run(const RunOptions& options = {});

  /// End a pulling run early and cleanly: batches in flight are dropped, every buffer goes back, the
  /// graph's threads end. Batches the consumer still holds stay readable until the next run starts.
  /// Does nothing when no run is in progress.
  void stop();

  /// The last run's metrics (as `feedgraph run --json` reports them), once it has ended: after a push run,
  /// or after the pulled range reached its end or stop(). A stopped run counts the batches it delivered.
  /// Rethrows the run's error if it failed; throws Error while batches remain to be pulled.
  RunStats stats();
  Progress progress() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

/// The batches of one pulling run: an input range for range-for. Advancing releases the current batch on
/// the stream given to batches() (unless it was moved out) and waits for the next.
class Pipeline::BatchRange {
 public:
  class iterator {
   public:
    using value_type = DeviceBatch;
    using difference_type = std::ptrdiff_t;
    DeviceBatch& operator*() const { return range_->current_; }
    DeviceBatch* operator->() const { return &range_->current_; }
    iterator& operator++();
    void operator++(int) { ++*this; }
    bool operator==(std::default_sentinel_t) const { return range_ == nullptr || range_->ended_; }

   private:
    friend class BatchRange;
    explicit iterator(BatchRange* range) : range_(range) {}
    BatchRange* range_;
  };

  BatchRange(BatchRange&&) noexcept;
  BatchRange& operator=(BatchRange&&) = delete;
  ~BatchRange();
  /// Takes the first batch. Call once.
  iterator begin();
  std::default_sentinel_t end() const { return {}; }

 private:
  friend class Pipeline;
  BatchRange(Pipeline::Impl* impl, CUstream_st* stream) : impl_(impl), stream_(stream) {}
  void advance();

  Pipeline::Impl* impl_;
  CUstream_st* stream_;
  DeviceBatch current_;
  bool ended_ = false;
};

}  // namespace feedgraph
