#pragma once
// A pipeline built once and run as often as asked: its stages, sample order and layouts are made when it
// is built; each run takes a RunSettings value (concurrency, prefetch, transfer switches, buffers, threads,
// limit), so trying other settings never builds anything again.
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
// Or run a pipeline file as the `feedgraph` command does, with its own compute stage, against its serial twin:
//
//   auto pipeline = feedgraph::Pipeline::from_file("graphs/seed.yaml");
//   auto plan   = pipeline.plan();                          // sizes memory; allocates nothing
//   auto twin   = pipeline.run(pipeline.settings().serial());
//   auto stats  = pipeline.run();                           // throws feedgraph::Error on any failure
//   std::cout << stats.samples_per_s / twin.samples_per_s << "x, " << stats.verdict << "\n";
#include <chrono>
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
#include "feedgraph/settings.hpp"
#include "feedgraph/spec.hpp"
#include "feedgraph/state.hpp"
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
  /// Samples cross the link packed, each its own size (encoded files for decode_jpeg on the device);
  /// batch_bytes is then the most a batch can take: its largest files together.
  bool ragged = false;
  SampleLayout source_layout;    ///< what the source produces (entries `kVaries` where samples differ)
  std::int64_t dataset_samples = 0;  ///< the whole dataset, every shard
  int shard_index = 0, shard_count = 1;
  std::string shard_from;        ///< `shard: auto`: the variables it came from; empty otherwise
  /// This host's cores divided among the ranks a launcher started on it (LOCAL_WORLD_SIZE and its kin):
  /// `threads: auto` sizes the graph's threads to `core_share`, not to every core, so that N ranks on one
  /// host do not oversubscribe it. Local rank r takes cores / local_world, plus one of the remainder when r
  /// is below it, so the shares add up to the cores (each at least 1). Without a launcher: 0 of 1, all cores.
  int local_rank = 0, local_world = 1;
  int core_share = 1;
  std::int64_t samples = 0;      ///< per epoch, in this shard
  std::int64_t batches_per_epoch = 0;
  int epochs = 1;                ///< passes over the dataset: RunSettings::epochs, else the file's
  std::int64_t batches = 0;      ///< all epochs
  std::size_t batch_bytes = 0;   ///< a full batch, as it crosses the link
  RunSettings settings;          ///< what was planned
  GraphShape shape;              ///< the nodes and pools those settings give
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

struct RunOptions {
  /// Called once per batch, serially, in the order batches completed (ticket order when `ordered`). An
  /// exception from it ends the run as a StageError naming the compute node.
  std::function<void(const BatchRecord&)> on_batch;
  /// A progress line on stderr, refreshed a few times a second.
  bool progress = false;
};

/// Build `spec` (its `auto` keys must have numbers) and plan it with its own settings: Pipeline(spec,
/// {.tune_auto = false}).plan(). Throws what building throws (ConfigError for bad stage options or a plan
/// over the file's memory_budget, Error for no device or unreadable data files) and Error for a key still
/// `auto`.
Plan plan(const PipelineSpec& spec);

/// Build `spec` and run it once with its own settings and compute stage: Pipeline(spec, {.tune_auto =
/// false}).run(options). Throws ConfigError, StageError, CudaError, StallError or Error.
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

/// Passed to Pipeline::batches() by a consumer that learns which stream uses a batch only when it uses it
/// (a DLPack consumer names its stream in `__dlpack__(stream)`): see DeviceBatch::wait_on.
struct StreamsLater {};
inline constexpr StreamsLater streams_later{};

/// How a Pipeline is built.
struct BuildOptions {
  /// Keys written `auto` are chosen by a short tune of this pipeline as it is built (a few seconds at most,
  /// with the file's own compute stage), and what was chosen is logged to stderr (see tuning()). Off: they
  /// stay `auto` in settings() until resolve_auto() (feedgraph/tools/tune.hpp) or set_settings() gives them
  /// numbers; plan() and the runs refuse them until then.
  bool tune_auto = true;
};

/// A pipeline in a program: its stages built and its sample order made once, then run as often as asked,
/// each run with the settings given (or settings()).
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
/// pulling consumer or a push callable takes its place.
///
/// Errors: building throws ConfigError (file:line:col, for the file, for stage options and for a plan over
/// the file's memory_budget) or Error (no device, unreadable data files); plan(settings) throws Error (a
/// budget given in code, a key still `auto`) or ConfigError (the file's budget); a run's failure reaches the
/// caller as the StageError, CudaError or StallError the `feedgraph` command would report.
///
/// Threads: a Pipeline is used from one thread at a time (the consumer's). The graph runs on threads of its
/// own; `progress()` may be called from any thread.
class Pipeline {
 public:
  /// The function a push run calls once per batch, in order when `ordered`, on the engine's compute thread.
  /// `stream` is the compute stream (null on the host backend): queue work on it and return; never wait
  /// for it. The batch is lent for the call (see feedgraph/device_batch.hpp).
  using BatchFunction = std::function<void(DeviceBatch& batch, CUstream_st* stream)>;

  /// Load the file (throws ConfigError naming file:line:col) and build it (throws as the constructor does).
  static Pipeline from_file(const std::string& path, const std::vector<std::string>& overrides = {},
                            BuildOptions options = {});
  /// The same from text; `origin` names it in messages.
  static Pipeline from_yaml(std::string_view yaml, const std::string& origin = "<yaml>",
                            const std::vector<std::string>& overrides = {}, BuildOptions options = {});
  /// A spec built in code (or loaded and then changed): its device chosen, its stages built (which checks
  /// their options), its sample order made and, unless a key is left `auto`, its memory planned against the
  /// budget. This is the only place a pipeline is assembled: every later run reuses what it built. Throws
  /// ConfigError for bad stage options or a plan over the file's memory_budget, Error for no device or a
  /// source that cannot read its files, and what a stage's factory throws. With BuildOptions::tune_auto and a
  /// key left `auto`, also what the short tune throws (resolve_auto()), its runs' errors included.
  explicit Pipeline(PipelineSpec spec, BuildOptions options = {});

  Pipeline(Pipeline&&) noexcept;
  Pipeline& operator=(Pipeline&&) noexcept;
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;
  /// Stops a run still in progress (as stop()) and frees every buffer.
  ~Pipeline();

  /// As built: the file's keys, `shard: auto` resolved to the launcher's rank. Its concurrency, prefetch,
  /// transfer and buffers keys are the file's; settings() says what runs use.
  const PipelineSpec& spec() const;
  /// What run(), batches() and the push run use: the file's settings with `auto` resolved, or what
  /// set_settings() gave.
  const RunSettings& settings() const;
  /// Runs from now on use `settings` (a run in progress keeps its own). Throws Error when they are over the
  /// memory budget or still hold `auto` (ConfigError over the file's own budget, as plan(settings)); nothing
  /// changes then.
  void set_settings(const RunSettings& settings);
  /// The plan of settings(); throws Error while a key is still `auto`.
  const Plan& plan() const;
  /// What a run with `settings` would hold and do, from what was built: nothing is allocated or built. A
  /// pure function of the pipeline and `settings`. Throws Error when the memory plan is over
  /// settings.memory_budget or a key is still `auto`; over the file's own budget, the error is a ConfigError
  /// that points at its `memory_budget` key.
  Plan plan(const RunSettings& settings) const;
  /// What `auto` resolved to, the line logged at start-up: "auto: prefetch 4 (tuned in 5 trials, ...)";
  /// empty when the spec had no `auto` key or BuildOptions::tune_auto was off. Throws nothing.
  const std::string& tuning() const;

  class BatchRange;
  /// Start a run and pull its batches: each is ready for work queued on `stream` (the engine makes the
  /// stream wait for the copy on the device; the host does not wait). Batches come in order when `ordered`.
  /// The graph starts prefetching at once, before the first batch is asked for. `stream` is a cudaStream_t
  /// (null: the legacy default stream; ignored on the host backend). Throws Error while a pulling run is in
  /// progress, or when settings() set a RunSettings::limit or still hold `auto`, and what setting the run up
  /// throws: allocating its buffers (Error, CudaError), filling `dataset.cache` (StageError for bad data),
  /// the compute stage's prepare(). The run's own failure comes from the range (begin() and ++).
  BatchRange batches(CUstream_st* stream = nullptr, RunOptions options = {});
  /// The same, but no stream is made to wait when a batch is taken: call DeviceBatch::wait_on(stream) for
  /// each stream that will use it before queuing work there; releasing waits for each of those streams.
  BatchRange batches(StreamsLater, RunOptions options = {});

  /// Run once, calling `fn` with every batch (push), and return the run's metrics. Throws Error when `fn` is
  /// empty or a key is still `auto`, and what the run throws (StageError, CudaError, StallError, Error). An
  /// exception from `fn` ends the run as ComputeStage::launch's does: a StageError naming the compute node,
  /// or on cuda a CudaError, StageError or StallError as thrown.
  RunStats run(BatchFunction fn, const RunOptions& options = {});
  /// Run once with the file's own compute stage, as `feedgraph run` does. Throws Error while a key is still
  /// `auto`, and what the run throws (StageError, CudaError, StallError, Error).
  RunStats run(const RunOptions& options = {});
  /// The same with other settings (the serial twin, a tuning trial): nothing is built again. Throws what
  /// plan(settings) throws, before anything runs, then what the run throws.
  RunStats run(const RunSettings& settings, const RunOptions& options = {});

  /// End a run early and cleanly, from any thread: no new batch starts, batches in flight finish or are
  /// dropped, every buffer goes back, the graph's threads end. A push run or run() returns the report of
  /// what was delivered, with RunStats::interrupted set; a puller's next take ends the range. Batches a
  /// puller still holds stay readable for as long as it holds them. Does nothing when no run is in
  /// progress. Throws nothing.
  void stop() noexcept;

  /// The last run's metrics (as `feedgraph run --json` reports them), once it has ended: after a push run,
  /// or after the pulled range reached its end or stop(). A stopped run counts the batches it delivered.
  /// Rethrows the run's error if it failed; throws Error while batches remain to be pulled, or before the
  /// first run.
  RunStats stats();
  /// How far the current run has got; throws nothing.
  Progress progress() const;

  /// Where this pipeline stands (feedgraph/state.hpp): the epoch and position up to which the current or last
  /// run's batches were consumed (handed to the consumer or computed, never merely prefetched), the shard
  /// layout and the fingerprint of what decides the batches. Before any run: the start, or the resume point
  /// given. Any thread may ask while a run is in progress. Throws nothing but bad_alloc.
  PipelineState state() const;
  /// The next run starts where `state` says: its batches are those an uninterrupted run would have
  /// delivered after that point, byte for byte; the runs after it start from the top. Other concurrency,
  /// prefetch, threads, buffers and transfer switches are fine. Throws Error, before anything changes, when
  /// the fingerprint differs (naming what: a file's size, a transform's option), the state is at the end of
  /// the run's epochs, or a pulling run is in progress.
  void resume(const PipelineState& state);
  /// States saved by the N ranks of a job, resumed as this pipeline's shard (another world size): the
  /// interrupted epoch's samples that no rank consumed are dealt out over this pipeline's shard count (see
  /// feedgraph/state.hpp). Needs every old rank's state, all in one epoch. One state of this same shard is
  /// resume(state). Throws Error as resume(state) does, and when ranks are missing, repeated, from different
  /// world sizes or epochs, or with dataset.cache.
  void resume(const std::vector<PipelineState>& states);

 private:
  void start_pulling(RunOptions options);

  struct Impl;
  std::shared_ptr<Impl> impl_;  // shared only so that a range can see that its pipeline is gone
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
    /// Releases the current batch and takes the next, as begin() does; throws as begin() does.
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
  /// Releases the current batch; a range that goes before its end stops the run (Pipeline::stop()).
  ~BatchRange();
  /// Takes the first batch, waiting for it. Call once. Throws the run's error (StageError, CudaError,
  /// StallError, Error) if it failed, and CudaError when `stream` cannot be made to wait for the batch.
  iterator begin();
  std::default_sentinel_t end() const { return {}; }

  /// Waits up to `timeout` until taking the next batch (begin() or ++) would not block: a batch is ready, or
  /// the run ended, failed or was stopped. For a consumer that must stay responsive while it waits (a
  /// Python loop checking for Ctrl-C). Throws nothing.
  bool ready_within(std::chrono::nanoseconds timeout);

 private:
  friend class Pipeline;
  BatchRange(const std::shared_ptr<Pipeline::Impl>& impl, std::uint64_t run_id, CUstream_st* stream, bool wait)
      : pipeline_(impl), run_id_(run_id), stream_(stream), wait_(wait) {}
  void advance();
  /// The pipeline, while it exists and its run is still this range's; null otherwise (a range may outlive
  /// both: it then has nothing more to give).
  std::shared_ptr<Pipeline::Impl> current() const;

  std::weak_ptr<Pipeline::Impl> pipeline_;
  std::uint64_t run_id_;
  CUstream_st* stream_;
  bool wait_;  // false: streams_later
  DeviceBatch current_;
  bool ended_ = false;
};

}  // namespace feedgraph
