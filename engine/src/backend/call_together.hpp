#pragma once
// Runs a few blocking calls at once: call(0) on the caller's thread, call(1..n-1) on threads kept for it, and
// returns when all are done. For library calls that hold their calling thread while a device works (nvJPEG's
// hardware decode does, for the whole decode): one thread each keeps several of them busy.
//
// Why not oneTBB: the caller is a flow-graph node, and a task_group's wait may run another node's task on the
// caller's thread while the calls are long done; these threads do nothing else, and sleep between rounds.
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string_view>
#include <utility>
#include <vector>

#include "backend/live_counts.hpp"

namespace feedgraph::detail {

class CallTogether {
 public:
  /// `helpers`: the threads beside the caller's (0: call() runs everything on the caller's thread), named
  /// `name` (15 characters at most are kept). `on_start`, when set, runs once on each helper thread before its
  /// first call (a thread's CUDA device); an exception it throws is rethrown by each run() that gives the thread
  /// a call.
  explicit CallTogether(int helpers, std::string_view name = "fg-together", std::function<void()> on_start = {})
      : on_start_(std::move(on_start)) {
    threads_.reserve(static_cast<std::size_t>(helpers));
    for (int i = 0; i < helpers; ++i) threads_.emplace_back(name, [this, i] { serve(i + 1); });
  }
  ~CallTogether() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (CountedThread& t : threads_) t.join();
  }
  CallTogether(const CallTogether&) = delete;
  CallTogether& operator=(const CallTogether&) = delete;

  /// How many calls may run at once: the helpers and the caller.
  int width() const { return static_cast<int>(threads_.size()) + 1; }

  /// call(i) for i in [0, n), n <= width(), at once; returns when every one has returned. The first exception
  /// a call throws is rethrown here, after all have returned.
  void run(int n, const std::function<void(int)>& call) {
    if (n < 1 || n > width()) throw std::invalid_argument("CallTogether::run: n must be within 1..width()");
    {
      std::lock_guard lock(mutex_);
      call_ = &call;
      calls_ = n;
      pending_ = n - 1;
      error_ = nullptr;
      ++round_;
    }
    if (n > 1) wake_.notify_all();
    try {
      call(0);
    } catch (...) {
      std::lock_guard lock(mutex_);
      if (!error_) error_ = std::current_exception();
    }
    std::unique_lock lock(mutex_);
    done_.wait(lock, [&] { return pending_ == 0; });
    call_ = nullptr;
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  }

 private:
  void serve(int index) {
    std::exception_ptr start_error;
    if (on_start_) {
      try {
        on_start_();
      } catch (...) {
        start_error = std::current_exception();
      }
    }
    unsigned long seen = 0;
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return stopping_ || round_ != seen; });
      if (stopping_) return;
      seen = round_;
      if (index >= calls_) continue;
      const std::function<void(int)>* call = call_;
      lock.unlock();
      std::exception_ptr error = start_error;
      if (!error) {
        try {
          (*call)(index);
        } catch (...) {
          error = std::current_exception();
        }
      }
      lock.lock();
      if (error && !error_) error_ = error;
      if (--pending_ == 0) done_.notify_one();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(int)>* call_ = nullptr;
  int calls_ = 0, pending_ = 0;
  unsigned long round_ = 0;
  bool stopping_ = false;
  std::exception_ptr error_;
  std::function<void()> on_start_;
  std::vector<CountedThread> threads_;
};

}  // namespace feedgraph::detail
