#include "graph/run_monitor.hpp"

#include <chrono>
#include <cstdio>

#include <fmt/format.h>

namespace feedgraph::detail {

void RunMonitor::start() {
  touch(hooks_.now());
  watchdog_ = CountedThread("fg-watchdog", [this] { watch(); });
  if (settings_.progress) progress_ = CountedThread("fg-progress", [this] { show_progress(); });
}

void RunMonitor::finish() {
  {
    std::lock_guard lock(mutex_);
    finished_ = true;
  }
  wake_.notify_all();
  if (watchdog_.joinable()) watchdog_.join();
  if (progress_.joinable()) progress_.join();
}

void RunMonitor::watch() {
  std::unique_lock lock(mutex_);
  while (!finished_) {
    wake_.wait_for(lock, std::chrono::milliseconds(100));
    if (finished_) break;
    if (hooks_.failed()) {
      hooks_.cancel();  // an error: let the tasks still queued go
      continue;
    }
    if (hooks_.waiting_for_consumer && hooks_.waiting_for_consumer()) {
      touch(hooks_.now());
      continue;
    }
    const double idle = hooks_.now() - static_cast<double>(last_progress_ns_.load()) * 1e-9;
    if (idle > settings_.watchdog_s) {
      hooks_.stalled(idle);
      hooks_.cancel();
    }
  }
}

void RunMonitor::show_progress() {
  std::unique_lock lock(mutex_);
  bool shown = false;
  while (!finished_) {
    wake_.wait_for(lock, std::chrono::milliseconds(250));
    const double t = hooks_.now();
    if (t < 1.0 || finished_) continue;  // a run under a second needs no progress line
    const auto done = hooks_.batches_done();
    std::fprintf(stderr, "\r%s: %lld/%lld batches, %.0f samples/s   ", settings_.name.c_str(),
                 static_cast<long long>(done), static_cast<long long>(settings_.batches),
                 static_cast<double>(done) * static_cast<double>(settings_.batch_size) / t);
    shown = true;
  }
  if (shown) std::fprintf(stderr, "\r\033[K");
}

std::string describe_stall(double idle_s, double watchdog_s, std::vector<BatchState>& states, double now,
                           const StallScene& scene) {
  std::string out = fmt::format("no progress for {:.1f} s (watchdog_s: {:g}): ", idle_s, watchdog_s);
  bool first = true;
  for (int n = 0; n < static_cast<int>(Node::count); ++n) {
    const Node node = static_cast<Node>(n);
    if (node == Node::pin && !scene.has_pin) continue;
    std::int64_t busy = 0, oldest = -1, queued = 0, oldest_queued = -1;
    double since = 0, queued_since = 0;
    for (auto& s : states) {
      if (s.in_node.load() == n) {
        if (busy++ == 0 || s.since.load() < since) oldest = s.ticket, since = s.since.load();
      } else if (s.waiting_for.load() == n) {
        if (queued++ == 0 || s.ticket < oldest_queued) oldest_queued = s.ticket, queued_since = s.since.load();
      }
    }
    const auto& pool = scene.pools[n];
    const bool out_of_tokens = pool.token && pool.free <= 0;
    const bool gpu = node == Node::copy || node == Node::compute;
    std::string state;
    if (busy > 0) {
      state = fmt::format("{} {} batch(es), oldest batch {} for {:.1f} s", gpu ? "waiting on the device for" : "busy with",
                          busy, oldest, now - since);
    }
    if (node == Node::read) {
      // Read's input is the tickets, always there until the last one is started.
      if (!scene.tickets_left) {
        if (busy == 0) state = "done: every batch started";
      } else if (out_of_tokens) {
        state += fmt::format("{}waiting for a {} (0 of {} free)", state.empty() ? "" : "; and ", pool.token, pool.total);
      } else if (busy == 0) {
        state = "waiting for a thread";
      }
    } else if (queued > 0) {
      // Why the queue does not move: no token for it, the order it must keep, or the node's own workers.
      std::string why;
      if (out_of_tokens)
        why = fmt::format(", waiting for a {} (0 of {} free)", pool.token, pool.total);
      else if (scene.ordered && busy == 0)
        why = ", held back for ticket order";
      state += fmt::format("{}{} batch(es) queued, oldest batch {} for {:.1f} s{}", state.empty() ? "" : "; ", queued,
                           oldest_queued, now - queued_since, why);
    } else if (busy == 0) {
      state = "waiting for input";
    }
    out += fmt::format("{}{} {}", first ? "" : "; ", node_name(node), state);
    first = false;
  }
  if (scene.consumer_deadlocked)
    out += fmt::format("; the pulling consumer holds every device buffer ({} of {}) and waits for another batch, "
                       "which cannot come until it lets one go: drop a held batch (and every tensor made from it) "
                       "or raise buffers.device",
                       scene.consumer_holds, scene.pools[static_cast<int>(Node::copy)].total);
  else if (scene.consumer_holds >= 0)
    out += fmt::format("; the pulling consumer holds {} batch(es)", scene.consumer_holds);
  return out;
}

}  // namespace feedgraph::detail
