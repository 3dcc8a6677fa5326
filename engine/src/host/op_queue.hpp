#pragma once
// A FIFO of ops served by one thread: the host stand-in for a CUDA stream. Its capacity is reserved up
// front, so pushing in steady state allocates nothing.
#include <atomic>
#include <condition_variable>
#include <thread>
#include <cstddef>
#include <mutex>
#include <vector>

#include "backend/backend.hpp"
#include "backend/spin_briefly.hpp"

namespace feedgraph::detail {

struct HostOp {
  Op op = Op::copy;
  int slot = 0;
  const std::byte* src = nullptr;
  std::size_t bytes = 0;
  ComputeStage* stage = nullptr;
  DeviceBatchView batch;
  bool notify = true;  ///< report the completion from the stream thread (false: the caller waits for it)
  const DeviceTransform* transform = nullptr;  ///< compute: the device transform to run first, if any
  bool verify = true;  ///< compute: whether the checksum will be compared
  bool trap = false;   ///< compute, `faults: trap`: fail as a device fault would
  double delay_s = 0;  ///< compute, `faults: slow_consumer`: extra time before the stage runs
};

class OpQueue {
 public:
  void reserve(std::size_t n) { ring_.resize(n); }

  void push(const HostOp& op) {
    {
      std::unique_lock lock(mutex_);
      // Never full in practice (one op per slot is outstanding); wait rather than grow if it ever is.
      space_.wait(lock, [&] { return count_ < ring_.size(); });
      ring_[(head_ + count_) % ring_.size()] = op;
      ++count_;
      pending_.store(count_, std::memory_order_release);
    }
    ready_.notify_one();
  }

  /// Run `fn` on each op in order until close() is called and the queue is empty.
  template <class Fn>
  void serve(Fn&& fn) {
    for (;;) {
      HostOp op;
      // A short spin before sleeping: the next op usually arrives within microseconds, and a futex sleep
      // and wake per op costs more than the op itself on a small machine (sync/spin_briefly.hpp).
      spin_briefly([&] { return pending_.load(std::memory_order_acquire) != 0; });
      {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [&] { return count_ > 0 || closed_; });
        if (count_ == 0) return;
        op = ring_[head_];
        head_ = (head_ + 1) % ring_.size();
        --count_;
        pending_.store(count_, std::memory_order_release);
      }
      space_.notify_one();
      fn(op);
    }
  }

  void close() {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
    }
    ready_.notify_all();
  }

 private:
  std::vector<HostOp> ring_;
  std::atomic<std::size_t> pending_{0};  // count_, readable without the lock, for the spin
  std::size_t head_ = 0, count_ = 0;
  bool closed_ = false;
  std::mutex mutex_;
  std::condition_variable ready_, space_;
};

}  // namespace feedgraph::detail
