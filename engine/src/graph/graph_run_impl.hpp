#pragma once
// The class behind one run, private to engine/src/graph: graph_run.cpp sets it up, wires the flow graph and
// measures; node_bodies.cpp is what each node does to a batch. A fresh GraphRun (and tbb::flow::graph) per
// run: a cancelled graph drops later messages, so graphs are never reused.
#include <tbb/flow_graph.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "feedgraph/errors.hpp"
#include "graph/assembly.hpp"
#include "graph/bad_data.hpp"
#include "graph/batch_state.hpp"
#include "graph/dataset_cache.hpp"
#include "graph/fault_plan.hpp"
#include "graph/pull_channel.hpp"
#include "graph/run_monitor.hpp"
#include "graph/run_buffers.hpp"
#include "graph/first_error.hpp"
#include "graph/graph_threads.hpp"
#include "graph/run_recorder.hpp"
#include "samples/sample_buffer.hpp"
#include "report/summarize.hpp"
#include "report/thread_cpu.hpp"

namespace feedgraph::detail {

namespace flow = tbb::flow;
using Clock = std::chrono::steady_clock;
using Msg = BatchState*;
using Token = int;

class GraphRun final : public CompletionSink {
  using CopyNode = flow::async_node<std::tuple<Msg, Token>, Msg>;
  using ComputeNode = flow::async_node<Msg, Msg>;
  using Join = flow::join_node<std::tuple<Msg, Token>, flow::reserving>;

 public:
  /// `compute` stands in for the assembly's compute stage when set (a push callable, a pulling consumer's
  /// stand-in); `pull`: computed batches go to a PullChannel and keep their device buffer until released.
  /// `settings` are planned here (plan_run: throws Error over the budget or with `auto` left).
  GraphRun(Assembly& a, const RunSettings& settings, const RunOptions& options, ComputeStage* compute = nullptr,
           bool pull = false)
      : a_(a), spec_(a.spec), plan_(plan_run(a, settings)), options_(options),
        stage_(compute ? compute : a.compute.get()), pull_mode_(pull),
        pool_(static_cast<std::size_t>(settings_.prefetch + shape_.pinned_slots + shape_.device_buffers),
              static_cast<std::size_t>(spec_.batch_size)),
        rec_(plan_.batches) {}

  /// A pulled batch still held goes back to nobody: its channel is closed (its memory stays while held).
  ~GraphRun() {
    if (pull_) pull_->close();
  }

  /// Allocates every buffer and prepares the compute stage (the part of a run that can fail before the graph
  /// starts); run() calls it if it was not called.
  void setup();
  RunStats run();
  /// `threads: auto`: the threads that run node bodies (graph_run.cpp says how many and why).
  int auto_threads() const;

  /// The samples of each batch of this run (from a resume point, if the pipeline had one).
  const RunOrder& order() const { return order_; }
  /// Batch `ticket` reached its consumer: taken from the pull channel, or computed. A saved state counts the
  /// tickets consumed without a gap from the first.
  void consumed(std::int64_t ticket) {
    std::lock_guard lock(consumed_mutex_);
    const auto t = static_cast<std::size_t>(ticket);
    if (t >= taken_.size()) return;
    taken_[t] = 1;
    while (consumed_prefix_ < static_cast<std::int64_t>(taken_.size()) && taken_[static_cast<std::size_t>(consumed_prefix_)])
      ++consumed_prefix_;
  }
  std::int64_t consumed_prefix() const {
    std::lock_guard lock(consumed_mutex_);
    return consumed_prefix_;
  }

  /// Pull mode: where the consumer takes batches (after setup()).
  const std::shared_ptr<PullChannel>& pull_channel() const { return pull_; }
  /// End the run early and cleanly (from any thread): no new batch starts, every delivered batch goes back.
  void stop();
  Progress progress() const;

  /// Runs inside the run's arena: a graph belongs to the arena it is constructed in.
  void execute();

  // CompletionSink: called on a CUDA callback thread or a host stand-in thread. No CUDA calls here.
  void on_complete(Op op, int slot, int status, const char* message) noexcept override;

 private:
  // ---- set-up ------------------------------------------------------------------------------------------
  /// Every buffer of the run, before the graph starts; a refused allocation is an Error naming the plan.
  void allocate();
  void build(flow::graph& g);

  // ---- node bodies ---------------------------------------------------------------------------------------
  Msg read(std::int64_t ticket, Token host_buffer);
  Msg transform(Msg m);

  Msg pin(Msg m, Token slot);
  void copy(Msg m, Token slot, CopyNode::gateway_type& gw);

  /// After the copy landed: the staging memory it read from goes back to its pool.
  Msg copied(Msg m);
  void compute(Msg m, ComputeNode::gateway_type& gw);

  void done(Msg m);
  /// Pull mode: hand the batch in `slot` to the consumer, holding the slot and the graph until it lets go.
  void deliver(Msg m, int slot);
  void give_back_slot(int slot);
  /// The batch in slot memory `data`, laid out as `layout`, with its ids, labels and place in the run.
  DeviceBatchView batch_view(Msg m, std::byte* data, const SampleLayout& layout);

  // ---- helpers -------------------------------------------------------------------------------------------
  template <class Fn>
  void guarded(Node node, Msg m, Fn&& fn);

  void release_host_buffer(Msg m) {
    rec_.host_buffers().give(now());
    host_pool_->try_put(m->host_buffer);
  }

  std::size_t batch_bytes(Msg m) const {
    return plan_.ragged ? m->ragged_bytes : static_cast<std::size_t>(m->samples) * plan_.transfer_layout.bytes();
  }
  /// The read node's loop: `read_one(id, k)` writes sample `id` as the batch's k-th; a DataError it throws
  /// goes to `on_error`, and a skipped sample leaves no hole.
  template <class Fn>
  void read_samples(Msg m, const RunOrder::Batch& where, Fn&& read_one);
  /// The read node's loop for a ragged batch: files packed at 8-byte boundaries, each checked and mapped.
  void read_encoded(Msg m, const RunOrder::Batch& where, std::byte* base);
  std::byte* host_buffer_data(Token t) const { return buffers_.host(t); }

  void enter(Msg m, Node node, double at) {
    m->since.store(at);
    m->waiting_for.store(-1);
    m->in_node.store(static_cast<int>(node));
  }
  /// The batch left `node` and now waits in front of the next one.
  void left(Msg m, Node node, double at) {
    const Node next = node == Node::transform ? (pin_node_ ? Node::pin : Node::copy)
                                              : static_cast<Node>(static_cast<int>(node) + 1);
    m->since.store(at);
    m->in_node.store(-1);
    m->waiting_for.store(static_cast<int>(next));
  }
  /// What the watchdog says when it gives up: each node's state, from the batches in flight and the pools.
  std::string stall_report(double idle);

  void fail(Node node, Msg m, std::exception_ptr e);
  void fail_status(Op op, Msg m, int status, const char* message) noexcept;

  /// Keeps the run's error (FirstError says which) and wakes a pulling consumer with it. `compute_fault`: `e` is
  /// the compute stream's own status after a batch's kernels.
  void record(std::exception_ptr e, bool compute_fault = false) noexcept;
  /// RunSettings::limit says to issue no more tickets (only the input node's body asks).
  bool limit_reached() const {
    const RunLimit& l = settings_.limit;
    if (l.max_batches > 0 && next_ticket_ >= l.max_batches) return true;
    return l.max_seconds > 0 && next_ticket_ >= l.min_batches && now() >= l.max_seconds;
  }
  void touch() { monitor_.touch(now()); }

  // ---- measurements ----------------------------------------------------------------------------------
  RunInputs make_inputs(double wall, double setup_s);

  double now() const { return rec_.now(); }
  static double seconds(Clock::duration d) { return RunRecorder::seconds(d); }
  static std::int64_t ns(double s) { return RunRecorder::ns(s); }

  CountedScope alive_{Counted::run};  // first: counted until everything below is gone
  Assembly& a_;
  const PipelineSpec& spec_;
  const Plan plan_;
  const RunSettings& settings_ = plan_.settings;
  const GraphShape& shape_ = plan_.shape;
  const RunOptions& options_;
  const RunOrder order_ = run_order(a_, plan_);
  mutable std::mutex consumed_mutex_;
  std::vector<char> taken_ = std::vector<char>(static_cast<std::size_t>(plan_.batches), 0);
  std::int64_t consumed_prefix_ = 0;
  ComputeStage* stage_;  // the compute stage this run launches
  const bool pull_mode_;
  std::shared_ptr<PullChannel> pull_;
  bool set_up_ = false;
  double setup_s_ = 0;
  std::atomic<bool> stopped_{false};
  std::atomic<bool> started_{false}, finished_{false};
  std::atomic<std::int64_t> samples_done_{0};
  const bool pin_node_ = shape_.pin_node;  // a pin copy into page-locked slots
  std::shared_ptr<Backend> backend_;  // shared with the pull channel: pulled batches outlive the run
  MemoryCounter memory_;
  const Source* source_ = a_.source.get();  // the source, or the cache standing in for it
  RunBuffers buffers_;
  FaultPlan faults_{spec_.faults};
  BadData bad_{spec_.data, *a_.source};
  DatasetCache cache_;  // dataset.cache: source_ points at it once filled
  std::vector<Msg> in_slot_;  // which batch each device slot holds, for completions
  BatchPool pool_;
  RunRecorder rec_;

  // Declared before its nodes so that it is destroyed after them: a node unregisters from its graph.
  std::optional<flow::graph> graph_;
  std::optional<flow::input_node<std::int64_t>> tickets_;
  std::optional<flow::buffer_node<Token>> host_pool_, slot_pool_, device_pool_;
  std::optional<flow::join_node<std::tuple<std::int64_t, Token>, flow::reserving>> read_join_;
  std::optional<flow::function_node<std::tuple<std::int64_t, Token>, Msg>> read_;
  std::optional<flow::function_node<Msg, Msg>> transform_;
  std::optional<flow::sequencer_node<Msg>> pin_order_, copy_order_, compute_order_;
  std::optional<flow::queue_node<Msg>> pin_queue_, copy_queue_;
  std::optional<Join> pin_join_, copy_join_;
  std::optional<flow::function_node<std::tuple<Msg, Token>, Msg>> pin_;
  std::optional<CopyNode> copy_;
  std::optional<flow::function_node<Msg, Msg>> copied_;
  std::optional<ComputeNode> compute_;
  std::optional<flow::function_node<Msg>> done_;
  CopyNode::gateway_type* copy_gateway_ = nullptr;
  ComputeNode::gateway_type* compute_gateway_ = nullptr;

  double wall_ = 0;
  double cpu_s_ = 0;  // the process's CPU seconds over wall_
  std::vector<ThreadClock> threads_at_start_, threads_at_end_;  // every thread's CPU clock at the wall's ends
  std::vector<ThreadCpu> thread_cpu_;
  double graph_core_wait_s_ = -1;  // the graph's threads' time waiting for a core over wall_ (-1: unknown)
  GraphThreads graph_threads_;  // the threads that ran a node body, or the graph
  // Written only by the input node's body, which is serial; atomic because the watchdog reads it.
  std::atomic<std::int64_t> next_ticket_{0};
  std::atomic<std::int64_t> done_count_{0};
  // The sample a read or transform worker is on, for the error message if it throws.
  static thread_local std::int64_t current_sample_;
  std::atomic<bool> failed_{false};
  std::mutex error_mutex_;
  FirstError error_;  // under error_mutex_
  RunMonitor monitor_{
      RunMonitor::Settings{spec_.watchdog_s, options_.progress, spec_.name, plan_.batches, spec_.batch_size},
      RunMonitor::Hooks{
          [this] { return now(); }, [this] { return failed_.load(); }, [this] { graph_->cancel(); },
          [this](double idle) {
            record(std::make_exception_ptr(
                StallError(stall_report(idle))));
          },
          [this] { return done_count_.load(); },
          [this] { return pull_ && pull_->waiting_for_consumer(); }}};
};

}  // namespace feedgraph::detail
