#pragma once
// What a run measures while it goes: the run clock, when each ticket passed each node, each node's batches,
// busy and waiting time and worker lanes, and how long each token pool stood empty. The node bodies write
// it from many threads (atomics, and one ticket's times written by one node at a time); the report reads it
// once the graph is done.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <vector>

#include "feedgraph/stats.hpp"
#include "graph/batch_state.hpp"
#include "report/cpu_clock.hpp"
#include "report/ticket_times.hpp"

namespace feedgraph::detail {

struct NodeCounters {
  LanePool lanes;
  std::atomic<std::int64_t> batches{0};
  std::atomic<std::int64_t> busy_ns{0};
  std::atomic<std::int64_t> cpu_ns{0};  // the body's threads' CPU time
  std::atomic<std::int64_t> wait_ns{0};
};

class RunRecorder {
 public:
  using Clock = std::chrono::steady_clock;

  explicit RunRecorder(std::int64_t tickets) : times_(static_cast<std::size_t>(tickets)) {}

  /// The run clock starts: the graph's first ticket is about to be issued.
  void start() {
    t0_ = Clock::now();
    cpu0_ = process_cpu_seconds();
  }
  /// The process's CPU seconds since start().
  double cpu_since_start() const { return process_cpu_seconds() - cpu0_; }
  /// Seconds on the run clock.
  double now() const { return seconds(Clock::now() - t0_); }
  static double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }
  static std::int64_t ns(double s) { return static_cast<std::int64_t>(s * 1e9); }

  NodeCounters& node(Node n) { return counters_[static_cast<int>(n)]; }
  TicketTimes& ticket(std::int64_t t) { return times_[static_cast<std::size_t>(t)]; }
  /// Every ticket's times; a limited or stopped run trims it to the tickets it covers before the report.
  std::vector<TicketTimes>& times() { return times_; }

  /// The pools, by the node that waits for their tokens: host buffers (read), pinned slots (pin), device
  /// buffers (copy).
  TokenGauge& host_buffers() { return host_; }
  TokenGauge& pinned_slots() { return slots_; }
  TokenGauge& device_buffers() { return device_; }

  /// Each node's figures for the report (utilization is the report's to compute); the pin node only when
  /// the run has one.
  std::vector<NodeStats> node_stats(const int (&concurrency)[static_cast<int>(Node::count)], bool pin_node) {
    const double token_wait[] = {host_.empty_seconds(), 0, slots_.empty_seconds(), device_.empty_seconds(), 0};
    std::vector<NodeStats> out;
    for (int n = 0; n < static_cast<int>(Node::count); ++n) {
      if (n == static_cast<int>(Node::pin) && !pin_node) continue;
      const auto& c = counters_[n];
      const double body_s = static_cast<double>(c.busy_ns.load()) * 1e-9;
      out.push_back(NodeStats{node_name(static_cast<Node>(n)), concurrency[n], c.batches.load(), body_s, 0,
                              static_cast<double>(c.wait_ns.load()) * 1e-9, token_wait[n], body_s,
                              static_cast<double>(c.cpu_ns.load()) * 1e-9});
    }
    return out;
  }

 private:
  Clock::time_point t0_ = Clock::now();
  double cpu0_ = 0;  // the process's CPU clock at start()
  std::vector<TicketTimes> times_;
  NodeCounters counters_[static_cast<int>(Node::count)];
  TokenGauge host_, slots_, device_;
};

}  // namespace feedgraph::detail
