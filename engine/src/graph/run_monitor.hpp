#pragma once
// The two threads that watch a run from outside the graph: the watchdog, which turns a run that stopped
// making progress into a StallError naming each node's state, and the progress line on stderr.
// Both sleep on one condition variable, so finishing the run wakes them at once.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "graph/batch_state.hpp"
#include "backend/live_counts.hpp"

namespace feedgraph::detail {

class RunMonitor {
 public:
  struct Hooks {
    std::function<double()> now;                         ///< the run clock, seconds
    std::function<bool()> failed;                        ///< an error is already recorded
    std::function<void()> cancel;                        ///< cancel the graph
    std::function<void(double idle_s)> stalled;          ///< record a StallError: no progress for idle_s
    std::function<std::int64_t()> batches_done;
    /// True while the graph waits for a pulling consumer: backpressure, not a stall (may be empty).
    std::function<bool()> waiting_for_consumer;
  };
  struct Settings {
    double watchdog_s = 60;
    bool progress = false;
    std::string name;
    std::int64_t batches = 0;
    std::int64_t batch_size = 0;
  };

  RunMonitor(Settings settings, Hooks hooks) : settings_(std::move(settings)), hooks_(std::move(hooks)) {}
  ~RunMonitor() { finish(); }

  void start();
  /// Progress was made: a node finished a body or a completion arrived.
  void touch(double now) { last_progress_ns_.store(static_cast<std::int64_t>(now * 1e9)); }
  /// Stop both threads and join them; idempotent.
  void finish();

 private:
  void watch();
  void show_progress();

  Settings settings_;
  Hooks hooks_;
  std::atomic<std::int64_t> last_progress_ns_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool finished_ = false;
  CountedThread watchdog_, progress_;
};

/// What the watchdog knows of the graph besides the batches in flight.
struct StallScene {
  /// The token each node takes before it runs (read: a host buffer, pin: a pinned slot, copy: a device
  /// buffer); null where a node takes none.
  struct Pool {
    const char* token = nullptr;
    int free = 0;
    int total = 0;
  };
  Pool pools[static_cast<int>(Node::count)];
  bool has_pin = true;        ///< false: no pin node (transfer.pinned off, direct, or batches from the cache)
  bool ordered = true;        ///< batches wait in ticket order in front of pin, copy and compute
  bool tickets_left = true;   ///< the read node has batches still to start
  std::int64_t consumer_holds = -1;  ///< batches a pulling consumer holds (-1: no pulling consumer)
  bool consumer_deadlocked = false;  ///< it holds every device buffer and waits for another batch
};

/// "no progress for 61.0 s (watchdog_s: 60): read waiting for a host buffer (0 of 4 free); transform busy
/// with 1 batch(es), oldest batch 2 for 61.0 s; pin waiting for input; copy ...; compute ...", from the
/// batches in flight (which node holds each, or which it waits in front of) and the token pools.
std::string describe_stall(double idle_s, double watchdog_s, std::vector<BatchState>& states, double now,
                           const StallScene& scene);

}  // namespace feedgraph::detail
