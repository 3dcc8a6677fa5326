// feedgraph::Pipeline: a pipeline assembled once, then run with any settings: pulled, pushed, or with its own
// compute stage.
//
// A pulling run is a GraphRun on a thread of its own: the consumer's thread sets it up (so that allocation
// errors reach the caller of batches()), then takes batches from its PullChannel. The GraphRun outlives the
// run's thread (its report is read after); it goes when the next run starts or the Pipeline is destroyed. The
// device memory of batches the consumer still holds goes only with the last of them (pull_channel.hpp).
#include <cstdio>
#include <mutex>
#include <optional>
#include <thread>

#include "embed/consumer_stages.hpp"
#include "feedgraph/tools/tune.hpp"
#include "graph/graph_run_impl.hpp"

namespace feedgraph {

struct Pipeline::Impl {
  std::unique_ptr<detail::Assembly> assembly;  // built once: every run and plan below reuses it
  RunSettings settings;                        // what runs use unless given others
  std::optional<Plan> plan;                    // settings' plan; empty while a key is `auto`
  std::string tuning;                          // what `auto` resolved to; empty when nothing was

  RunOptions options;  // the current run's: GraphRun keeps a reference
  std::unique_ptr<ComputeStage> stand_in;  // the compute stage a pull or push run uses instead of the file's
  // The current run. stop() may come from another thread (a signal handler's), so the pointer is swapped
  // under a lock; the run itself is only destroyed by the owning thread.
  std::mutex run_mutex;
  std::unique_ptr<detail::GraphRun> run;
  detail::CountedThread thread;  // a pulling run's graph: joinable while that run is in progress
  std::mutex end_mutex;          // end(): one thread joins `thread`
  std::optional<RunStats> stats;
  std::exception_ptr error;
  std::uint64_t run_id = 0;  // counts runs started: a range knows whether its run is still the current one
  mutable std::optional<StateFingerprint> fingerprint;  // made when a state is first asked for or given

  explicit Impl(std::unique_ptr<detail::Assembly> a) : assembly(std::move(a)), settings(RunSettings::of(assembly->spec)) {}
  ~Impl() { discard(); }

  /// End the current run (stop it if batches remain) and wait for its threads. Any thread may ask (stop()
  /// from a signal handler's thread while the consumer pulls): one joins, the others wait for it.
  void end() {
    std::lock_guard lock(end_mutex);
    if (!pulling()) return;
    // Batches left to pull: stop. None left: batches the consumer still holds (moved out of the loop) go
    // back, so that the graph can finish; their memory stays until the run is discarded.
    if (!run->pull_channel()->drained()) run->stop();
    else run->pull_channel()->close();
    thread.join();
  }
  bool pulling() const { return thread.joinable(); }
  /// A pulling run has batches left to take.
  bool pull_in_progress() const { return pulling() && !run->pull_channel()->drained(); }
  /// Pipeline::stop(), also for a range that goes before its end.
  void stop() noexcept {
    {
      std::lock_guard lock(run_mutex);
      if (run) run->stop();
    }
    // A pulling run's graph is joined here (end() checks under its lock); a push run's caller returns from
    // run() by itself.
    try {
      end();
    } catch (...) {
    }
  }
  /// End the run and free its buffers.
  void discard() {
    end();
    std::unique_ptr<detail::GraphRun> gone;
    {
      std::lock_guard lock(run_mutex);
      gone = std::move(run);
    }
    gone.reset();
    stand_in.reset();
  }
  void start(const RunSettings& s, RunOptions o, std::unique_ptr<ComputeStage> stage, bool pull) {
    discard();
    ++run_id;
    stats.reset();
    error = nullptr;
    options = std::move(o);
    stand_in = std::move(stage);
    auto next = std::make_unique<detail::GraphRun>(*assembly, s, options, stand_in.get(), pull);
    {
      std::lock_guard lock(run_mutex);
      run = std::move(next);
    }
    // A resume point is for this one run; the runs after it start from the top.
    if (assembly->resume) {
      assembly->resume.reset();
      if (settings.auto_keys().empty()) plan = detail::plan_run(*assembly, settings);
    }
  }
  /// A push run (or one with the file's compute), on the caller's thread; its outcome is kept for stats().
  RunStats run_here() {
    try {
      stats = run->run();
    } catch (...) {
      error = std::current_exception();
      throw;
    }
    return *stats;
  }
};

Pipeline Pipeline::from_file(const std::string& path, const std::vector<std::string>& overrides, BuildOptions options) {
  return Pipeline(load_pipeline(path, overrides), options);
}

Pipeline Pipeline::from_yaml(std::string_view yaml, const std::string& origin, const std::vector<std::string>& overrides,
                             BuildOptions options) {
  return Pipeline(parse_pipeline(yaml, origin, overrides), options);
}

Pipeline::Pipeline(PipelineSpec spec, BuildOptions options)
    : impl_(std::make_shared<Impl>(detail::assemble(spec))) {
  if (impl_->settings.auto_keys().empty()) {
    impl_->plan = plan(impl_->settings);  // a file over its budget fails where it is built
  } else if (options.tune_auto) {
    // The choice is logged: a program's log should say what it ran with.
    const AutoResolution resolved = resolve_auto(*this);
    if (!resolved.line.empty())
      std::fprintf(stderr, "feedgraph: %s: %s\n", impl_->assembly->spec.name.c_str(), resolved.line.c_str());
    impl_->tuning = resolved.line;
  }
}
Pipeline::Pipeline(Pipeline&&) noexcept = default;
Pipeline& Pipeline::operator=(Pipeline&&) noexcept = default;
Pipeline::~Pipeline() = default;

const PipelineSpec& Pipeline::spec() const { return impl_->assembly->spec; }
const RunSettings& Pipeline::settings() const { return impl_->settings; }

void Pipeline::set_settings(const RunSettings& settings) {
  Plan planned = plan(settings);  // throws before anything changes
  impl_->settings = settings;
  impl_->plan = std::move(planned);
}

const Plan& Pipeline::plan() const {
  if (!impl_->plan) (void)plan(impl_->settings);  // throws: says which keys are still `auto`
  return *impl_->plan;
}

Plan Pipeline::plan(const RunSettings& settings) const { return detail::plan_run(*impl_->assembly, settings); }

const std::string& Pipeline::tuning() const { return impl_->tuning; }

Pipeline::BatchRange Pipeline::batches(CUstream_st* stream, RunOptions options) {
  start_pulling(std::move(options));
  return BatchRange(impl_, impl_->run_id, stream, true);
}

Pipeline::BatchRange Pipeline::batches(StreamsLater, RunOptions options) {
  start_pulling(std::move(options));
  return BatchRange(impl_, impl_->run_id, nullptr, false);
}

void Pipeline::start_pulling(RunOptions options) {
  if (impl_->pull_in_progress())
    throw Error("Pipeline::batches: a pulling run is still in progress; pull it to its end or stop() it first");
  if (impl_->settings.limit.active())
    throw Error("Pipeline::batches: RunSettings::limit is for runs, not pulling runs; stop() ends a pulling run early");
  impl_->start(impl_->settings, std::move(options), std::make_unique<detail::PullCompute>(), true);
  Impl& impl = *impl_;
  impl.run->setup();
  impl.thread = detail::CountedThread("fg-pull-graph", [&impl] {
    try {
      impl.stats = impl.run->run();
    } catch (...) {
      impl.error = std::current_exception();
      // Errors from before the graph started have not reached the consumer through the channel yet.
      impl.run->pull_channel()->fail(impl.error);
    }
  });
}

RunStats Pipeline::run(BatchFunction fn, const RunOptions& options) {
  if (!fn) throw Error("Pipeline::run: the batch function is empty");
  impl_->start(impl_->settings, options, std::make_unique<detail::CallableCompute>(std::move(fn)), false);
  return impl_->run_here();
}

RunStats Pipeline::run(const RunOptions& options) { return run(impl_->settings, options); }

RunStats Pipeline::run(const RunSettings& settings, const RunOptions& options) {
  impl_->start(settings, options, nullptr, false);
  return impl_->run_here();
}

PipelineState Pipeline::state() const {
  const detail::Assembly& a = *impl_->assembly;
  PipelineState s;
  {
    std::lock_guard lock(impl_->run_mutex);
    if (impl_->run) {
      s = impl_->run->order().state_after(impl_->run->consumed_prefix());
    } else if (a.resume) {
      s.epoch = a.resume->epoch;
      s.position = a.resume->position;
      s.batches = a.resume->position / a.spec.batch_size;
      s.dealt = a.resume->dealt;
    }
  }
  s.graph = a.spec.name;
  s.shard_index = a.spec.data.shard.index;
  s.shard_count = a.spec.data.shard.count;
  s.uneven = a.spec.data.shard.uneven;
  if (!impl_->fingerprint) impl_->fingerprint = detail::fingerprint_of(a);
  s.fingerprint = *impl_->fingerprint;
  return s;
}

void Pipeline::resume(const PipelineState& state) { resume(std::vector<PipelineState>{state}); }

void Pipeline::resume(const std::vector<PipelineState>& states) {
  detail::Assembly& a = *impl_->assembly;
  if (states.empty()) throw Error("Pipeline::resume: no state given");
  if (impl_->pull_in_progress())
    throw Error("Pipeline::resume: a pulling run is in progress; stop() it first");
  if (!impl_->fingerprint) impl_->fingerprint = detail::fingerprint_of(a);
  for (const PipelineState& s : states) {
    const auto differences = fingerprint_differences(s.fingerprint, *impl_->fingerprint);
    if (differences.empty()) continue;
    std::string text;
    for (const auto& d : differences) text += (text.empty() ? "" : "; ") + d;
    throw Error("the state of '" + s.graph + "' (shard " + std::to_string(s.shard_index) + " of " +
                std::to_string(s.shard_count) + ") does not match this pipeline: " + text);
  }
  const ShardSpec& mine = a.spec.data.shard;
  detail::ResumePoint point;
  const PipelineState& first = states.front();
  if (states.size() == 1 && first.shard_count == mine.count && first.shard_index == mine.index) {
    // This rank's own stream goes on (a dealt epoch is dealt again the same way).
    point = detail::ResumePoint{first.epoch, first.position, first.dealt};
  } else {
    // Another layout: every old rank's state, one epoch, dealt out over this pipeline's shards.
    const int world = first.shard_count;
    std::vector<std::int64_t> positions(static_cast<std::size_t>(world), -1);
    for (const PipelineState& s : states) {
      if (s.shard_count != world)
        throw Error("Pipeline::resume: the states come from different world sizes (" + std::to_string(world) +
                    " and " + std::to_string(s.shard_count) + ")");
      if (s.dealt)
        throw Error("Pipeline::resume: rank " + std::to_string(s.shard_index) +
                    "'s state is inside an epoch dealt out from another world size; finish that epoch at the world "
                    "size that dealt it (" + std::to_string(s.shard_count) + ") before changing it again");
      if (s.epoch != first.epoch)
        throw Error("Pipeline::resume: the ranks' states are in different epochs (" + std::to_string(first.epoch) +
                    " and " + std::to_string(s.epoch) + "); resume them at their own world size");
      auto& p = positions[static_cast<std::size_t>(s.shard_index)];
      if (p >= 0) throw Error("Pipeline::resume: two states for rank " + std::to_string(s.shard_index));
      p = s.position;
    }
    std::string missing;
    for (int r = 0; r < world; ++r)
      if (positions[static_cast<std::size_t>(r)] < 0) missing += (missing.empty() ? "" : ", ") + std::to_string(r);
    if (!missing.empty())
      throw Error("Pipeline::resume: resuming " + std::to_string(world) + " ranks' states as shard " +
                  std::to_string(mine.index) + " of " + std::to_string(mine.count) +
                  " needs every rank's state (the samples no rank consumed are dealt out again); missing rank(s) " +
                  missing);
    if (a.spec.data.cache)
      throw Error("Pipeline::resume: resuming on another world size is not supported with dataset.cache");
    point = detail::ResumePoint{first.epoch, 0, DealtEpoch{world, std::move(positions)}};
  }
  auto before = std::move(a.resume);
  a.resume = std::move(point);
  try {
    if (impl_->settings.auto_keys().empty()) impl_->plan = plan(impl_->settings);  // throws past the last epoch
    else
      (void)detail::RunOrder(a.order, a.spec.data.shard, a.spec.batch_size, a.spec.drop_last,
                             impl_->settings.epochs > 0 ? impl_->settings.epochs : a.spec.epochs, &*a.resume);
  } catch (...) {
    a.resume = std::move(before);
    throw;
  }
}

void Pipeline::stop() noexcept {
  if (impl_) impl_->stop();
}

RunStats Pipeline::stats() {
  Impl& impl = *impl_;
  if (impl.pulling()) {
    if (!impl.run->pull_channel()->drained())
      throw Error("Pipeline::stats: batches remain to be pulled; pull them to the end or stop() first");
    impl.end();
  }
  if (impl.error) std::rethrow_exception(impl.error);
  if (!impl.stats) throw Error("Pipeline::stats: the pipeline has not run yet");
  return *impl.stats;
}

Progress Pipeline::progress() const {
  if (!impl_) return Progress{};
  std::lock_guard lock(impl_->run_mutex);
  if (!impl_->run) return Progress{0, impl_->plan ? impl_->plan->batches : 0, 0, 0, false};
  return impl_->run->progress();
}

// ---- BatchRange ------------------------------------------------------------------------------------------

Pipeline::BatchRange::BatchRange(BatchRange&& other) noexcept
    : pipeline_(std::move(other.pipeline_)), run_id_(other.run_id_), stream_(other.stream_), wait_(other.wait_),
      current_(std::move(other.current_)),
      ended_(other.ended_) {}

Pipeline::BatchRange::~BatchRange() {
  current_.release();
  if (ended_) return;
  if (auto impl = current()) impl->stop();  // nobody can pull the rest
}

Pipeline::BatchRange::iterator Pipeline::BatchRange::begin() {
  advance();
  return iterator(this);
}

void Pipeline::BatchRange::advance() {
  current_.release();
  auto impl = ended_ ? nullptr : current();
  if (!impl) {
    ended_ = true;
    return;
  }
  ended_ = !impl->run->pull_channel()->take(current_, stream_, wait_);
  if (!ended_) impl->run->consumed(current_.ticket());
}

std::shared_ptr<Pipeline::Impl> Pipeline::BatchRange::current() const {
  // A range outlives its run when the pipeline was stopped and run again, or destroyed.
  auto impl = pipeline_.lock();
  if (impl && impl->run && impl->run_id == run_id_) return impl;
  return nullptr;
}

bool Pipeline::BatchRange::ready_within(std::chrono::nanoseconds timeout) {
  auto impl = ended_ ? nullptr : current();
  if (!impl) return true;
  return impl->run->pull_channel()->wait_ready(timeout);
}

Pipeline::BatchRange::iterator& Pipeline::BatchRange::iterator::operator++() {
  range_->advance();
  return *this;
}

}  // namespace feedgraph
