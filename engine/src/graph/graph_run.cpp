// The flow graph:
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

#include <tbb/global_control.h>
#include <tbb/info.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <new>

#include "graph/graph_run_impl.hpp"
#include "graph/thread_count.hpp"

namespace feedgraph::detail {

void GraphRun::setup() {
  if (set_up_) return;
  const auto setup_start = Clock::now();
  backend_ = a_.device.kind == BackendKind::cuda ? make_cuda_backend(a_.device.index) : make_host_backend();
  allocate();
  stage_->prepare(backend_->kind(), backend_->compute_stream());
  if (pull_mode_)
    pull_ = std::make_shared<PullChannel>(backend_, shape_.device_buffers, [this](int slot) { give_back_slot(slot); });
  setup_s_ = seconds(Clock::now() - setup_start);
  set_up_ = true;
}

int GraphRun::auto_threads() const {
  const bool transforms_may_sleep =
      std::any_of(a_.transforms.begin(), a_.transforms.end(), [](const auto& t) { return t->may_sleep(); });
  // This rank's share of the host's cores (Plan::core_share): all of them without a launcher.
  // A transform body with no host transform to run passes its batch on at once: it keeps no thread.
  ConcurrencySpec bodies = settings_.concurrency;
  if (a_.chain.empty()) bodies.transform = 0;
  return auto_thread_count(plan_.core_share, bodies, source_->read_may_sleep(), transforms_may_sleep,
                           pin_node_ ? pin_width(plan_.batch_bytes, plan_.core_share) : 0);
}

RunStats GraphRun::run() {
  setup();

  // `threads` sets the number; auto (graph/thread_count.hpp) may go above the cores for workers that sleep,
  // so global_control lifts oneTBB's default cap (the cores) for the run.
  const int threads = settings_.threads > 0 ? settings_.threads : auto_threads();
  tbb::global_control allow(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
  tbb::task_arena arena(threads);
  arena.execute([&] {
    graph_threads_.note();
    execute();
  });
  thread_cpu_ = cpu_by_thread(threads_at_start_, threads_at_end_, graph_threads_.ids());
  graph_core_wait_s_ = core_wait_of(threads_at_start_, threads_at_end_, graph_threads_.ids());
  if (error_) std::rethrow_exception(error_.get());
  if (stopped_) {
    // What was delivered before the stop; the tickets that never finished are left out.
    std::vector<TicketTimes> all = std::move(rec_.times());
    rec_.times().clear();
    for (auto& t : all)
      if (t.done > 0) rec_.times().push_back(t);
    RunStats s = summarize_run(make_inputs(wall_, setup_s_));
    s.batches = static_cast<std::int64_t>(rec_.times().size());
    s.batches_per_s = static_cast<double>(s.batches) / std::max(wall_, 1e-9);
    return s;
  }
  // A limited run issued fewer tickets than the plan has; the report covers those.
  if (settings_.limit.active()) rec_.times().resize(static_cast<std::size_t>(next_ticket_));
  const auto issued = static_cast<std::int64_t>(rec_.times().size());
  if (done_count_ != issued)
    throw Error("internal: the graph ended with " + std::to_string(done_count_) + " of " + std::to_string(issued) +
                " batches done and no error");
  return summarize_run(make_inputs(wall_, setup_s_));
}

void GraphRun::stop() {
  stopped_.store(true);
  failed_.store(true);  // no new ticket; bodies in flight skip their work (the monitor cancels the graph)
  if (pull_) pull_->close();
}

Progress GraphRun::progress() const {
  const bool started = started_.load();
  return Progress{done_count_.load(), plan_.batches, samples_done_.load(), started ? now() : 0.0,
                  started && !finished_.load()};
}

void GraphRun::execute() {
  flow::graph& g = graph_.emplace();
  build(g);
  // Before the backend's clock starts: the graph's (rec_.start()) must follow it at once.
  threads_at_start_ = sample_process_threads(Named::no);
  backend_->start(*this);
  rec_.start();
  started_.store(true);
  monitor_.start();

  tickets_->activate();
  g.wait_for_all();
  wall_ = now();
  cpu_s_ = rec_.cpu_since_start();
  threads_at_end_ = sample_process_threads(Named::yes);
  monitor_.finish();
  backend_->drain();
  finished_.store(true);
}

std::string GraphRun::stall_report(double idle) {
  StallScene scene;
  scene.pools[static_cast<int>(Node::read)] = {"host buffer", rec_.host_buffers().free(), settings_.prefetch};
  scene.pools[static_cast<int>(Node::pin)] = {"pinned slot", rec_.pinned_slots().free(), shape_.pinned_slots};
  scene.pools[static_cast<int>(Node::copy)] = {"device buffer", rec_.device_buffers().free(), shape_.device_buffers};
  scene.has_pin = pin_node_;
  scene.ordered = spec_.ordered;
  // The input node's body is serial and stops at the last ticket; this read is only for a message.
  scene.tickets_left = next_ticket_ < plan_.batches;
  scene.consumer_holds = pull_ ? pull_->outstanding() : -1;
  scene.consumer_deadlocked = pull_ && pull_->consumer_deadlocked();
  return describe_stall(idle, spec_.watchdog_s, pool_.states(), now(), scene);
}

void GraphRun::on_complete(Op op, int slot, int status, const char* message) noexcept {
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

void GraphRun::allocate() {
  // The cache first: its fill is part of set-up, and a batch served from it needs no host buffer bytes.
  if (spec_.data.cache) {
    try {
      cache_.fill(a_, plan_, *backend_, memory_, bad_, spec_.verify);
    } catch (const std::bad_alloc&) {
      throw Error("out of host memory while filling dataset.cache (planned: " +
                  format_bytes(plan_.memory.cache_bytes) + "); lower the dataset or turn cache off");
    }
    source_ = &cache_.source();
  }
  buffers_.allocate(a_, plan_, *stage_, *backend_, memory_, faults_);
  in_slot_.assign(static_cast<std::size_t>(shape_.device_buffers), nullptr);
  rec_.host_buffers().reset(settings_.prefetch);
  rec_.pinned_slots().reset(shape_.pinned_slots);
  rec_.device_buffers().reset(shape_.device_buffers);
}

void GraphRun::build(flow::graph& g) {
  const bool ordered = spec_.ordered;
  const bool pinned = pin_node_;
  auto seq = [](const Msg& m) { return static_cast<std::size_t>(m->ticket); };

  tickets_.emplace(g, [this](tbb::flow_control& fc) -> std::int64_t {
    if (next_ticket_ >= plan_.batches || failed_.load() || limit_reached()) {
      fc.stop();
      return 0;
    }
    return next_ticket_++;
  });
  host_pool_.emplace(g);
  read_join_.emplace(g);
  read_.emplace(g, settings_.concurrency.read, [this](const std::tuple<std::int64_t, Token>& in) {
    return read(std::get<0>(in), std::get<1>(in));
  });
  transform_.emplace(g, settings_.concurrency.transform, [this](Msg m) { return transform(m); });
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
    pin_.emplace(g, settings_.concurrency.pin, [this](const std::tuple<Msg, Token>& t) {
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

  for (Token t = 0; t < settings_.prefetch; ++t) host_pool_->try_put(t);
  if (pinned)
    for (Token t = 0; t < shape_.pinned_slots; ++t) slot_pool_->try_put(t);
  for (Token t = 0; t < shape_.device_buffers; ++t) device_pool_->try_put(t);
}

RunInputs GraphRun::make_inputs(double wall, double setup_s) {
  RunInputs in{.spec = spec_, .plan = plan_, .times = rec_.times()};
  in.backend = backend_->kind() == BackendKind::cuda ? "cuda" : "host";
  in.device_name = backend_->device_name();
  in.wall_s = wall;
  in.cpu_s = cpu_s_;
  in.thread_cpu = thread_cpu_;
  in.graph_core_wait_s = graph_core_wait_s_;
  in.setup_s = setup_s;
  in.peak_memory_bytes = memory_.peak;
  for (const auto& t : rec_.times()) in.samples_delivered += t.samples;
  in.skipped = bad_.skipped();
  in.skipped_samples = bad_.take_samples();
  in.cache_fill_s = cache_.fill_seconds();
  in.cores = tbb::info::default_concurrency();
  in.interrupted = stopped_.load();
  if (pull_) in.consumer_wait_s = pull_->consumer_wait_s();
  const int conc[] = {settings_.concurrency.read, settings_.concurrency.transform, settings_.concurrency.pin, 1, 1};
  in.nodes = rec_.node_stats(conc, pin_node_);
  return in;
}

thread_local std::int64_t GraphRun::current_sample_ = -1;

}  // namespace feedgraph::detail
