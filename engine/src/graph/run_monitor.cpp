#include "graph/run_monitor.hpp"

#include <chrono>
#include <cstdio>

namespace feedgraph::detail {

void RunMonitor::start() {
  touch(hooks_.now());
  watchdog_ = std::thread([this] { watch(); });
  if (settings_.progress) progress_ = std::thread([this] { show_progress(); });
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

std::string describe_stall(double idle_s, double watchdog_s, std::vector<BatchState>& states, double now) {
  char head[96];
  std::snprintf(head, sizeof head, "no progress for %.1f s (watchdog_s: %g): ", idle_s, watchdog_s);
  std::string out = head;
  for (int n = 0; n < static_cast<int>(Node::count); ++n) {
    std::int64_t oldest = -1, count = 0;
    double since = 0;
    for (auto& s : states)
      if (s.in_node.load() == n) {
        ++count;
        if (oldest < 0 || s.since.load() < since) oldest = s.ticket, since = s.since.load();
      }
    char part[160];
    const bool gpu = n == static_cast<int>(Node::copy) || n == static_cast<int>(Node::compute);
    if (count == 0)
      std::snprintf(part, sizeof part, "%s idle", node_name(static_cast<Node>(n)));
    else
      std::snprintf(part, sizeof part, "%s %s %lld batch(es), oldest batch %lld for %.1f s",
                    node_name(static_cast<Node>(n)), gpu ? "waiting on the device for" : "busy with",
                    static_cast<long long>(count), static_cast<long long>(oldest), now - since);
    out += (n ? "; " : "") + std::string(part);
  }
  return out;
}

}  // namespace feedgraph::detail
