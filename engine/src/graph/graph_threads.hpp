#pragma once
// Which threads ran a run's graph: each thread notes itself the first time it runs one of the run's node
// bodies, and so does the thread that runs the graph, so the run's host CPU by thread (report/thread_cpu.hpp)
// can name them as one group whatever the threads are called (oneTBB's workers carry the name of the thread
// that started them). A oneTBB worker that ran none of them keeps its own name there.
//
// Why not a tbb::task_scheduler_observer on the run's arena: with oneTBB 2021.8 its proxy was sometimes left
// behind when observing stopped (LeakSanitizer: 40 bytes from r1::observe, in a pulling run's thread).
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <unordered_set>

#include "report/thread_cpu.hpp"

namespace feedgraph::detail {

class GraphThreads {
 public:
  /// Notes the calling thread, once per thread and run: after the first call it costs a thread-local compare.
  void note() noexcept {
    thread_local std::uint64_t noted_for = 0;
    if (noted_for == run_) return;
    noted_for = run_;
    try {
      std::lock_guard lock(mutex_);
      ids_.insert(this_thread_id());
    } catch (...) {
      // Out of memory: the thread's CPU then shows under its own name.
    }
  }
  /// The threads noted so far.
  std::unordered_set<pid_t> ids() const {
    std::lock_guard lock(mutex_);
    return ids_;
  }

 private:
  static std::uint64_t next_run() noexcept {
    static std::atomic<std::uint64_t> runs{0};
    return runs.fetch_add(1, std::memory_order_relaxed) + 1;
  }

  const std::uint64_t run_ = next_run();  // never 0, the thread-local's "no run yet"
  mutable std::mutex mutex_;
  std::unordered_set<pid_t> ids_;
};

}  // namespace feedgraph::detail
