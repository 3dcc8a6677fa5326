// The flow graph (DESIGN §1):
//
//   tickets ─┬─► [join] ─► read ─► transform ─► (order) ─► [join] ─► pin ─► (order) ─► [join] ─► copy ─► copied
//   host buffers ┘                               pinned slots ┘        device buffers ┘     (async)     │
//            ▲                                                                                          ▼
//            └──────────── tokens return: host buffer after pin, slot after copy ──── (order) ─► compute ─► done
//                                                                   device buffer after compute ─┘ (async)
//
// Every pool is a buffer_node of tokens joined to the data by a reserving join_node, so the graph is bounded
// by construction. In ordered runs a sequencer stands in front of each token join, not only in front of
// compute: tokens are then handed out in ticket order, so the oldest batch can always get the token it
// needs, and ordering can never deadlock against a pool (with a single sequencer before compute, batches
// 2..k could hold every device buffer while batch 1 waits for one).
#include "graph/graph_run.hpp"

#include <tbb/flow_graph.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <thread>
#include <unistd.h>

#include "feedgraph/checksum.hpp"
#include "feedgraph/errors.hpp"
#include "graph/batch_state.hpp"
#include "graph/run_monitor.hpp"
#include "report/summarize.hpp"

// NVTX ranges named after the nodes, so that an nsys profile of a cuda run shows the graph's own names.
// Without a profiler attached, a push costs a few nanoseconds.
#if FEEDGRAPH_HAVE_CUDA
#include <nvtx3/nvToolsExt.h>
#define FG_RANGE_PUSH(name) nvtxRangePushA(name)
#define FG_RANGE_POP() nvtxRangePop()
#else
#define FG_RANGE_PUSH(name) ((void)(name))
#define FG_RANGE_POP() ((void)0)
#endif

namespace feedgraph::detail {
namespace {

namespace flow = tbb::flow;
using Clock = std::chrono::steady_clock;
using Msg = BatchState*;
using Token = int;

struct NodeCounters {
  LanePool lanes;
  std::atomic<std::int64_t> batches{0};
  std::atomic<std::int64_t> busy_ns{0};
  std::atomic<std::int64_t> wait_ns{0};
  std::atomic<int> active{0};
};

class GraphRun final : public CompletionSink {
  using CopyNode = flow::async_node<std::tuple<Msg, Token>, Msg>;
  using ComputeNode = flow::async_node<Msg, Msg>;
  using Join = flow::join_node<std::tuple<Msg, Token>, flow::reserving>;

 public:
  GraphRun(Assembly& a, const RunOptions& options)
      : a_(a), spec_(a.spec), plan_(a.plan), options_(options),
        pool_(static_cast<std::size_t>(spec_.prefetch + spec_.pinned_slots() + spec_.device_buffers()),
              static_cast<std::size_t>(spec_.batch_size)),
        times_(static_cast<std::size_t>(plan_.batches)) {}

  RunStats run() {
    const auto setup_start = Clock::now();
    backend_ = a_.device.kind == BackendKind::cuda ? make_cuda_backend(a_.device.index) : make_host_backend();
    allocate();
    a_.compute->prepare(backend_->kind(), backend_->compute_stream());
    const double setup_s = seconds(Clock::now() - setup_start);

    // Node bodies may sleep on storage (an I/O-bound read), so the graph gets a thread for every body that may
    // run at once, even above the core count: a sleeping thread costs no core, a missing one caps the
    // concurrency the file asked for. global_control lifts oneTBB's default cap (the core count) for the run.
    const int bodies = spec_.concurrency.read + spec_.concurrency.transform + spec_.concurrency.pin + 1;
    const int threads = std::max(static_cast<int>(std::thread::hardware_concurrency()), bodies);
    tbb::global_control allow(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
    tbb::task_arena arena(threads);
    arena.execute([&] { execute(); });
    if (error_) std::rethrow_exception(error_);
    if (done_count_ != plan_.batches)
      throw Error("internal: the graph ended with " + std::to_string(done_count_) + " of " +
                  std::to_string(plan_.batches) + " batches done and no error");
    return summarize_run(make_inputs(wall_, setup_s));
  }

  /// Runs inside the run's arena: a graph belongs to the arena it is constructed in.
  void execute() {
    flow::graph& g = graph_.emplace();
    build(g);
    backend_->start(*this);
    t0_ = Clock::now();
    monitor_.start();

    tickets_->activate();
    g.wait_for_all();
    wall_ = now();
    monitor_.finish();
    backend_->drain();
  }

  // CompletionSink: called on a CUDA callback thread or a host stand-in thread. No CUDA calls here.
  void on_complete(Op op, int slot, int status, const char* message) noexcept override {
    Msg m = in_slot_[static_cast<std::size_t>(slot)];
    auto* gateway = op == Op::copy ? copy_gateway_ : compute_gateway_;
    if (status != 0) {
      fail_status(op, m, status, message);
    } else {
      touch();
      gateway->try_put(m);
    }
    gateway->release_wait();
  }

 private:
  // ---- set-up ------------------------------------------------------------------------------------------
  void allocate() {
    const std::size_t batch = plan_.batch_bytes;
    for (int i = 0; i < spec_.prefetch; ++i) {
      if (direct_pinned(spec_)) {
        host_buffers_.push_back(backend_->allocate_pinned(batch, memory_));
        continue;
      }
      host_buffers_.emplace_back(new std::byte[batch], std::default_delete<std::byte[]>());
      // Touch every page now, so the first batch does not pay for page faults inside the timed run.
      std::memset(host_buffers_.back().get(), 0, batch);
      memory_.add(batch);
    }
    for (int i = 0; i < spec_.pinned_slots(); ++i) pinned_.push_back(backend_->allocate_pinned(batch, memory_));
    backend_->allocate_slots(spec_.device_buffers(), batch, memory_);
    in_slot_.assign(static_cast<std::size_t>(spec_.device_buffers()), nullptr);
    memory_.add(a_.compute->scratch_bytes(backend_->kind()));
    host_gauge_.reset(spec_.prefetch);
    slot_gauge_.reset(spec_.pinned_slots());
    device_gauge_.reset(spec_.device_buffers());
  }

  void build(flow::graph& g) {
    const bool ordered = spec_.ordered;
    const bool pinned = pin_node_;
    auto seq = [](const Msg& m) { return static_cast<std::size_t>(m->ticket); };

    tickets_.emplace(g, [this](tbb::flow_control& fc) -> std::int64_t {
      if (next_ticket_ >= plan_.batches || failed_.load()) {
        fc.stop();
        return 0;
      }
      return next_ticket_++;
    });
    host_pool_.emplace(g);
    read_join_.emplace(g);
    read_.emplace(g, spec_.concurrency.read, [this](const std::tuple<std::int64_t, Token>& in) {
      return read(std::get<0>(in), std::get<1>(in));
    });
    transform_.emplace(g, spec_.concurrency.transform, [this](Msg m) { return transform(m); });
    flow::make_edge(*tickets_, flow::input_port<0>(*read_join_));
    flow::make_edge(*host_pool_, flow::input_port<1>(*read_join_));
    flow::make_edge(*read_join_, *read_);
    flow::make_edge(*read_, *transform_);

    // A buffer in front of each reserving join: a join can only reserve from a node that holds its items.
    flow::sender<Msg>* last = &*transform_;
    auto buffered = [&](auto& seq_node, auto& queue_node) -> flow::sender<Msg>& {
      if (ordered) {
        seq_node.emplace(g, seq);
        flow::make_edge(*last, *seq_node);
        return *seq_node;
      }
      queue_node.emplace(g);
      flow::make_edge(*last, *queue_node);
      return *queue_node;
    };

    if (pinned) {
      auto& in = buffered(pin_order_, pin_queue_);
      slot_pool_.emplace(g);
      pin_join_.emplace(g);
      pin_.emplace(g, spec_.concurrency.pin, [this](const std::tuple<Msg, Token>& t) {
        return pin(std::get<0>(t), std::get<1>(t));
      });
      flow::make_edge(in, flow::input_port<0>(*pin_join_));
      flow::make_edge(*slot_pool_, flow::input_port<1>(*pin_join_));
      flow::make_edge(*pin_join_, *pin_);
      last = &*pin_;
    }

    auto& to_copy = buffered(copy_order_, copy_queue_);
    device_pool_.emplace(g);
    copy_join_.emplace(g);
    // Serial: the order of issue is the order on the copy stream.
    copy_.emplace(g, flow::serial, [this](const std::tuple<Msg, Token>& t, CopyNode::gateway_type& gw) {
      copy(std::get<0>(t), std::get<1>(t), gw);
    });
    copy_gateway_ = &copy_->gateway();
    copied_.emplace(g, flow::serial, [this](Msg m) { return copied(m); });
    flow::make_edge(to_copy, flow::input_port<0>(*copy_join_));
    flow::make_edge(*device_pool_, flow::input_port<1>(*copy_join_));
    flow::make_edge(*copy_join_, *copy_);
    flow::make_edge(*copy_, *copied_);
    last = &*copied_;

    compute_.emplace(g, flow::serial, [this](Msg m, ComputeNode::gateway_type& gw) { compute(m, gw); });
    compute_gateway_ = &compute_->gateway();
    if (ordered) {
      compute_order_.emplace(g, seq);
      flow::make_edge(*copied_, *compute_order_);
      flow::make_edge(*compute_order_, *compute_);
    } else {
      flow::make_edge(*copied_, *compute_);
    }
    done_.emplace(g, flow::serial, [this](Msg m) { done(m); });
    flow::make_edge(*compute_, *done_);

    for (Token t = 0; t < spec_.prefetch; ++t) host_pool_->try_put(t);
    if (pinned)
      for (Token t = 0; t < spec_.pinned_slots(); ++t) slot_pool_->try_put(t);
    for (Token t = 0; t < spec_.device_buffers(); ++t) device_pool_->try_put(t);
  }

  // ---- node bodies ---------------------------------------------------------------------------------------
  Msg read(std::int64_t ticket, Token host_buffer) {
    const double start = now();
    host_gauge_.take(start);
    Msg m = pool_.acquire();
    if (!m) {
      // Impossible while every in-flight batch holds a token (see done()); a null would crash a sequencer
      // later with no message, so stop here with one.
      std::fprintf(stderr, "feedgraph: internal error: the batch-state pool is exhausted at ticket %lld\n",
                   static_cast<long long>(ticket));
      std::abort();
    }
    m->ticket = ticket;
    m->epoch = ticket / plan_.batches_per_epoch;
    m->index = ticket % plan_.batches_per_epoch;
    m->host_buffer = host_buffer;
    m->pinned_slot = m->device_slot = -1;
    m->host_checksum = 0;
    const std::int64_t first = m->index * spec_.batch_size;
    m->samples = std::min<std::int64_t>(spec_.batch_size, plan_.samples - first);
    m->sample_ids.clear();
    for (std::int64_t i = 0; i < m->samples; ++i) m->sample_ids.push_back(first + i);
    m->ready_at = start;
    guarded(Node::read, m, [&] {
      const std::size_t sample_bytes = plan_.layout.bytes();
      std::byte* base = host_buffers_[static_cast<std::size_t>(host_buffer)].get();
      // With no transforms the bytes read are the bytes sent: checksum each sample while it is still in
      // cache, instead of reading the whole batch back from memory in the transform node.
      const bool checksum_here = spec_.verify && a_.transforms.empty();
      for (std::int64_t j = 0; j < m->samples; ++j) {
        current_sample_ = m->sample_ids[static_cast<std::size_t>(j)];
        const std::span<std::byte> sample{base + static_cast<std::size_t>(j) * sample_bytes, sample_bytes};
        a_.source->read(current_sample_, sample);
        if (checksum_here) m->host_checksum += sample_checksum(sample, j);
      }
    });
    times_[static_cast<std::size_t>(ticket)].read_begin = start;
    return m;
  }

  Msg transform(Msg m) {
    if (!m) return m;
    guarded(Node::transform, m, [&] {
      const std::size_t sample_bytes = plan_.layout.bytes();
      std::byte* base = host_buffers_[static_cast<std::size_t>(m->host_buffer)].get();
      for (std::int64_t j = 0; j < m->samples; ++j) {
        std::span<std::byte> sample{base + static_cast<std::size_t>(j) * sample_bytes, sample_bytes};
        const SampleContext ctx{m->sample_ids[static_cast<std::size_t>(j)], m->epoch, a_.source->seed()};
        current_sample_ = ctx.id;
        for (auto& t : a_.transforms) t->apply(sample, plan_.layout, ctx);
        // The host's checksum of exactly the bytes that will cross the link (read computes it when there
        // is no transform).
        if (spec_.verify && !a_.transforms.empty()) m->host_checksum += sample_checksum(sample, j);
      }
    });
    return m;
  }

  Msg pin(Msg m, Token slot) {
    if (!m) return m;
    slot_gauge_.take(now());
    m->pinned_slot = slot;
    guarded(Node::pin, m, [&] {
      const std::byte* src = host_buffers_[static_cast<std::size_t>(m->host_buffer)].get();
      std::byte* dst = pinned_[static_cast<std::size_t>(slot)].get();
      const std::size_t bytes = batch_bytes(m);
      // One thread's memcpy into pinned memory runs at about 9 GB/s, a sixth of PCIe Gen5 (DESIGN §8):
      // large batches are copied by several threads. Isolated, so a waiting thread takes no unrelated task.
      constexpr std::size_t kChunk = 4u << 20;
      if (bytes <= 2 * kChunk) {
        std::memcpy(dst, src, bytes);
      } else {
        tbb::this_task_arena::isolate([&] {
          tbb::parallel_for(std::size_t{0}, (bytes + kChunk - 1) / kChunk, [&](std::size_t c) {
            const std::size_t off = c * kChunk;
            std::memcpy(dst + off, src + off, std::min(kChunk, bytes - off));
          });
        });
      }
    });
    release_host_buffer(m);
    return m;
  }

  void copy(Msg m, Token slot, CopyNode::gateway_type& gw) {
    if (!m || failed_.load()) return;
    device_gauge_.take(now());
    m->device_slot = slot;
    in_slot_[static_cast<std::size_t>(slot)] = m;
    const double start = now();
    counters(Node::copy).wait_ns += ns(start - m->ready_at);
    enter(m, Node::copy, start);
    gw.reserve_wait();
    try {
      inject(Node::copy, m);
      const std::byte* src = pin_node_ ? pinned_[static_cast<std::size_t>(m->pinned_slot)].get()
                                                   : host_buffers_[static_cast<std::size_t>(m->host_buffer)].get();
      FG_RANGE_PUSH("copy");
      backend_->copy(slot, src, batch_bytes(m),
                     CopyMode{!spec_.transfer.non_blocking, spec_.transfer.copy_stream});
      FG_RANGE_POP();
    } catch (...) {
      fail(Node::copy, m, std::current_exception());
      gw.release_wait();
    }
  }

  /// After the copy landed: the staging memory it read from goes back to its pool.
  Msg copied(Msg m) {
    counters(Node::copy).batches++;
    if (pin_node_) {
      slot_gauge_.give(now());
      pin_tokens_return(m->pinned_slot);
    } else {
      release_host_buffer(m);
    }
    m->ready_at = now();
    return m;
  }

  void compute(Msg m, ComputeNode::gateway_type& gw) {
    if (failed_.load()) return;
    const double start = now();
    counters(Node::compute).wait_ns += ns(start - m->ready_at);
    enter(m, Node::compute, start);
    gw.reserve_wait();
    try {
      inject(Node::compute, m);
      const std::int64_t slot = m->device_slot;
      FG_RANGE_PUSH("compute");
      backend_->compute(static_cast<int>(slot), *a_.compute,
                        DeviceBatchView{backend_->slot_memory(static_cast<int>(slot)), batch_bytes(m), m->samples,
                                        plan_.layout});
      FG_RANGE_POP();
    } catch (...) {
      fail(Node::compute, m, std::current_exception());
      gw.release_wait();
    }
  }

  void done(Msg m) {
    if (failed_.load()) return;
    const int slot = m->device_slot;
    const SlotTimes st = backend_->times(slot);
    auto& t = times_[static_cast<std::size_t>(m->ticket)];
    t.copy_begin = st.copy_begin;
    t.copy_end = st.copy_end;
    t.compute_begin = st.compute_begin;
    t.compute_end = st.compute_end;
    t.done = now();
    counters(Node::compute).batches++;
    const std::uint64_t device_sum = backend_->checksum(slot);
    if (spec_.verify && device_sum != m->host_checksum) {
      char text[200];
      std::snprintf(text, sizeof text,
                    "verify: the device checksum 0x%016llx differs from the host's 0x%016llx: the bytes that "
                    "crossed the link are not the bytes sent",
                    static_cast<unsigned long long>(device_sum), static_cast<unsigned long long>(m->host_checksum));
      fail(Node::compute, m, std::make_exception_ptr(std::runtime_error(text)));
      return;
    }
    if (options_.on_batch) {
      try {
        options_.on_batch(BatchRecord{m->ticket, m->epoch, m->index, m->sample_ids, m->host_checksum, device_sum});
      } catch (...) {
        fail(Node::compute, m, std::current_exception());
        return;
      }
    }
    // The batch state goes back before the device buffer does: every state in use is then held by a batch
    // that holds a token, so the pool (prefetch + slots + buffers) can never run dry.
    in_slot_[static_cast<std::size_t>(slot)] = nullptr;
    pool_.release(m);
    device_gauge_.give(now());
    device_pool_->try_put(slot);
    ++done_count_;
    touch();
  }

  // ---- helpers -------------------------------------------------------------------------------------------
  template <class Fn>
  void guarded(Node node, Msg m, Fn&& fn) {
    auto& c = counters(node);
    const double start = now();
    if (node != Node::read) c.wait_ns += ns(start - m->ready_at);
    enter(m, node, start);
    c.active++;
    const int lane = c.lanes.acquire();
    FG_RANGE_PUSH(node_name(node));
    try {
      if (!failed_.load()) {
        inject(node, m);
        fn();
      }
    } catch (...) {
      fail(node, m, std::current_exception());
    }
    FG_RANGE_POP();
    c.lanes.release(lane);
    c.active--;
    const double end = now();
    c.busy_ns += ns(end - start);
    c.batches++;
    m->ready_at = end;
    m->in_node.store(-1);
    auto& t = times_[static_cast<std::size_t>(m->ticket)];
    if (node == Node::read) (t.read_end = end, t.read_lane = lane);
    if (node == Node::transform) (t.transform_begin = start, t.transform_end = end, t.transform_lane = lane);
    if (node == Node::pin) (t.pin_begin = start, t.pin_end = end, t.pin_lane = lane);
    touch();
  }

  void inject(Node node, Msg m) {
    const auto& f = options_.fault;
    if (f.node != node_name(node) || f.batch != m->ticket) return;
    if (f.kind == FaultInjection::Kind::throw_error)
      throw std::runtime_error("injected fault in " + f.node + " at batch " + std::to_string(f.batch));
    // A stall: no progress until the watchdog gives up on the run.
    while (!failed_.load()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }

  void release_host_buffer(Msg m) {
    host_gauge_.give(now());
    host_pool_->try_put(m->host_buffer);
  }
  void pin_tokens_return(Token slot) { slot_pool_->try_put(slot); }

  std::size_t batch_bytes(Msg m) const { return static_cast<std::size_t>(m->samples) * plan_.layout.bytes(); }

  void enter(Msg m, Node node, double at) {
    m->since.store(at);
    m->in_node.store(static_cast<int>(node));
  }

  void fail(Node node, Msg m, std::exception_ptr e) {
    std::exception_ptr wrapped;
    try {
      std::rethrow_exception(e);
    } catch (const CudaError&) {
      wrapped = e;  // its call, code and name are the useful part
    } catch (const StallError&) {
      wrapped = e;
    } catch (const StageError&) {
      wrapped = e;
    } catch (const std::exception& ex) {
      const std::int64_t sample = (node == Node::read || node == Node::transform) ? current_sample_ : -1;
      wrapped = std::make_exception_ptr(StageError(node_name(node), m ? m->ticket : -1, sample, ex.what()));
    } catch (...) {
      wrapped = std::make_exception_ptr(StageError(node_name(node), m ? m->ticket : -1, -1, "unknown exception"));
    }
    record(wrapped);
  }

  void fail_status(Op op, Msg m, int status, const char* message) noexcept {
    try {
      if (backend_->kind() == BackendKind::host) {
        fail(op == Op::copy ? Node::copy : Node::compute, m,
             std::make_exception_ptr(std::runtime_error(message ? message : "host stand-in error")));
        return;
      }
      const std::string what = std::string(op == Op::copy ? "copy" : "compute") + " of batch " +
                               std::to_string(m ? m->ticket : -1) + " (stream callback status)";
      record(std::make_exception_ptr(
          CudaError(what, status, backend_->status_name(status), backend_->status_text(status))));
    } catch (...) {
      record(std::current_exception());
    }
  }

  void record(std::exception_ptr e) noexcept {
    {
      std::lock_guard lock(error_mutex_);
      if (!error_) error_ = e;
    }
    failed_.store(true);
  }

  void touch() { monitor_.touch(now()); }

  // ---- measurements ----------------------------------------------------------------------------------
  RunInputs make_inputs(double wall, double setup_s) {
    RunInputs in{spec_, plan_, times_, {}, {}, 0, 0, 0, {}};
    in.backend = backend_->kind() == BackendKind::cuda ? "cuda" : "host";
    in.device_name = backend_->device_name();
    in.wall_s = wall;
    in.setup_s = setup_s;
    in.peak_memory_bytes = memory_.peak;
    const int conc[] = {spec_.concurrency.read, spec_.concurrency.transform, spec_.concurrency.pin, 1, 1};
    const double token_wait[] = {host_gauge_.empty_seconds(), 0, slot_gauge_.empty_seconds(),
                                 device_gauge_.empty_seconds(), 0};
    for (int n = 0; n < static_cast<int>(Node::count); ++n) {
      if (n == static_cast<int>(Node::pin) && !pin_node_) continue;
      auto& c = counters_[n];
      in.nodes.push_back(NodeStats{node_name(static_cast<Node>(n)), conc[n], c.batches.load(),
                                   static_cast<double>(c.busy_ns.load()) * 1e-9, 0,
                                   static_cast<double>(c.wait_ns.load()) * 1e-9, token_wait[n]});
    }
    return in;
  }

  double now() const { return seconds(Clock::now() - t0_); }
  static double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }
  static std::int64_t ns(double s) { return static_cast<std::int64_t>(s * 1e9); }
  NodeCounters& counters(Node n) { return counters_[static_cast<int>(n)]; }

  Assembly& a_;
  const PipelineSpec& spec_;
  const Plan& plan_;
  const RunOptions& options_;
  const bool pin_node_ = spec_.transfer.pinned && !spec_.transfer.direct;  // a pin copy into slots
  std::unique_ptr<Backend> backend_;
  MemoryCounter memory_;
  std::vector<std::shared_ptr<std::byte>> host_buffers_;  // page-locked with transfer.direct
  std::vector<std::shared_ptr<std::byte>> pinned_;
  std::vector<Msg> in_slot_;  // which batch each device slot holds, for completions
  BatchPool pool_;
  std::vector<TicketTimes> times_;
  NodeCounters counters_[static_cast<int>(Node::count)];
  TokenGauge host_gauge_, slot_gauge_, device_gauge_;

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

  Clock::time_point t0_;
  double wall_ = 0;
  std::int64_t next_ticket_ = 0;  // only the input node's body touches it, and that body is serial
  std::atomic<std::int64_t> done_count_{0};
  // The sample a read or transform worker is on, for the error message if it throws.
  static thread_local std::int64_t current_sample_;
  std::atomic<bool> failed_{false};
  std::mutex error_mutex_;
  std::exception_ptr error_;
  RunMonitor monitor_{
      RunMonitor::Settings{spec_.watchdog_s, options_.progress, spec_.name, plan_.batches, spec_.batch_size},
      RunMonitor::Hooks{
          [this] { return now(); }, [this] { return failed_.load(); }, [this] { graph_->cancel(); },
          [this](double idle) {
            record(std::make_exception_ptr(
                StallError(describe_stall(idle, spec_.watchdog_s, pool_.states(), now()))));
          },
          [this] { return done_count_.load(); }}};
};

thread_local std::int64_t GraphRun::current_sample_ = -1;

}  // namespace

RunStats run_assembly(Assembly& assembly, const RunOptions& options) {
  GraphRun run(assembly, options);
  return run.run();
}

}  // namespace feedgraph::detail
