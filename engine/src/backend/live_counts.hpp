#pragma once
// The counters behind feedgraph::live_resources(), and the owners that keep them: a resource is counted by
// the object that owns it, so no path (error, stop, destructor) can free one without counting it.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "report/thread_cpu.hpp"

namespace feedgraph::detail {

enum class Counted : int { run, thread, pinned, device, cuda_handle, count };

void count_up(Counted what) noexcept;
void count_down(Counted what) noexcept;

/// Names the calling thread (at most 15 characters are kept): `top -H`, a debugger and a run's host CPU by
/// thread (RunStats::thread_cpu) show it.
void name_this_thread(std::string_view name) noexcept;

/// A std::thread that is counted while joinable, and named ("fg-watchdog"; kept to 15 characters). Join before
/// destroying it, as with std::thread.
class CountedThread {
 public:
  CountedThread() = default;
  template <class Fn>
  CountedThread(std::string_view name, Fn&& fn)
      : id_(std::make_shared<std::atomic<pid_t>>(0)),
        t_([name = std::string(name), id = id_, fn = std::forward<Fn>(fn)]() mutable {
          // Told from the threads it starts, which take its name (report/thread_cpu.hpp): noted before it is
          // named and forgotten once joined, so that no sample of the process's threads finds it by its name
          // but not noted.
          id->store(note_named_thread());
          name_this_thread(name);
          fn();
        }) {
    count_up(Counted::thread);
  }
  CountedThread(CountedThread&& o) noexcept : id_(std::move(o.id_)), t_(std::move(o.t_)) {}
  CountedThread& operator=(CountedThread&& o) noexcept {
    if (t_.joinable()) std::terminate();  // as std::thread does: a running thread must not be dropped
    id_ = std::move(o.id_);
    t_ = std::move(o.t_);
    return *this;
  }
  ~CountedThread() {
    if (t_.joinable()) std::terminate();
  }
  bool joinable() const noexcept { return t_.joinable(); }
  std::thread::id get_id() const noexcept { return t_.get_id(); }
  void join() {
    t_.join();
    forget_named_thread(id_->load());  // gone: the kernel may give its id to a thread started later
    count_down(Counted::thread);
  }

 private:
  std::shared_ptr<std::atomic<pid_t>> id_;  // the thread's kernel id, once it has noted itself
  std::thread t_;
};

/// Counts one `what` for as long as it lives: a member of whatever owns the resource.
class CountedScope {
 public:
  explicit CountedScope(Counted what) noexcept : what_(what) { count_up(what_); }
  CountedScope(const CountedScope&) = delete;
  CountedScope& operator=(const CountedScope&) = delete;
  ~CountedScope() { count_down(what_); }

 private:
  Counted what_;
};

}  // namespace feedgraph::detail
