#pragma once
// Which threads ran a run's graph: each thread that enters the run's task arena (oneTBB's workers, and the
// thread that runs the graph) is noted, so the run's host CPU by thread (report/thread_cpu.hpp) can name
// them as one group whatever the threads are called: oneTBB's workers carry the name of the thread that
// started them.
#include <tbb/task_arena.h>
#include <tbb/task_scheduler_observer.h>

#include <mutex>
#include <unordered_set>

#include "report/thread_cpu.hpp"

namespace feedgraph::detail {

class GraphThreads final : public tbb::task_scheduler_observer {
 public:
  /// Observes `arena` from now until destroyed.
  explicit GraphThreads(tbb::task_arena& arena) : tbb::task_scheduler_observer(arena) { observe(true); }
  ~GraphThreads() override { observe(false); }
  GraphThreads(const GraphThreads&) = delete;
  GraphThreads& operator=(const GraphThreads&) = delete;

  void on_scheduler_entry(bool) override {
    thread_local const pid_t self = this_thread_id();
    std::lock_guard lock(mutex_);
    ids_.insert(self);
  }
  /// The threads that have entered the arena so far.
  std::unordered_set<pid_t> ids() const {
    std::lock_guard lock(mutex_);
    return ids_;
  }

 private:
  mutable std::mutex mutex_;
  std::unordered_set<pid_t> ids_;
};

}  // namespace feedgraph::detail
