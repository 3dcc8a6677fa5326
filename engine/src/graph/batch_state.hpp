#pragma once
// What travels through the graph: a pointer to one in-flight batch's state, from a pool sized to the most
// batches that can be in flight at once (every in-flight batch holds a host buffer, a pinned slot or a
// device buffer, so the pool needs prefetch + slots + buffers entries). Nothing is allocated per batch.
#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

#include "backend/encoded_batch.hpp"
#include "report/ticket_times.hpp"

namespace feedgraph::detail {

enum class Node : int { read, transform, pin, copy, compute, count };
inline constexpr const char* node_name(Node n) {
  constexpr const char* names[] = {"read", "transform", "pin", "copy", "compute"};
  return names[static_cast<int>(n)];
}

struct BatchState {
  std::int64_t ticket = -1;
  std::int64_t epoch = 0;
  std::int64_t index = 0;
  std::int64_t samples = 0;
  std::vector<std::int64_t> sample_ids;  // capacity reserved once: batch_size
  std::vector<std::int64_t> labels;      // one per sample id; capacity reserved once
  std::vector<EncodedSample> encoded;    // a ragged batch: where each file lies, what the device makes of it
  std::uint64_t ragged_bytes = 0;        // a ragged batch: its packed bytes
  const std::byte* host_data = nullptr;  // the batch's bytes in host memory: its host buffer, or the cache
  int host_buffer = -1;
  int pinned_slot = -1;
  int device_slot = -1;
  std::uint64_t host_checksum = 0;
  double ready_at = 0;  // when it left the previous node, for wait-for-input
  // For the watchdog, which reads them from its own thread: the node working on the batch (-1: none), else
  // the node it waits in front of (-1: none, the state is free), and since when.
  std::atomic<int> in_node{-1};
  std::atomic<int> waiting_for{-1};
  std::atomic<double> since{0};
};


/// Hands each running body of a node a lane (its worker index for the timeline): the lowest free one.
class LanePool {
 public:
  int acquire() {
    std::uint64_t mask = used_.load();
    for (;;) {
      if (~mask == 0) return 63;  // more than 64 concurrent bodies share the last lane
      const int lane = __builtin_ctzll(~mask);
      if (used_.compare_exchange_weak(mask, mask | (1ULL << lane))) return lane;
    }
  }
  void release(int lane) {
    if (lane < 63) used_.fetch_and(~(1ULL << lane));
  }

 private:
  std::atomic<std::uint64_t> used_{0};
};

/// A free list of BatchState indices; one lock per batch, never contended for long.
class BatchPool {
 public:
  BatchPool(std::size_t n, std::size_t batch_size) : states_(n) {
    free_.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      states_[i].sample_ids.reserve(batch_size);
      states_[i].labels.reserve(batch_size);
      states_[i].encoded.reserve(batch_size);
      free_.push_back(static_cast<int>(n - 1 - i));
    }
  }
  BatchState* acquire() {
    std::lock_guard lock(mutex_);
    if (free_.empty()) return nullptr;  // impossible when sized as above; the caller treats it as a bug
    const int i = free_.back();
    free_.pop_back();
    return &states_[static_cast<std::size_t>(i)];
  }
  void release(BatchState* s) {
    s->in_node.store(-1);
    s->waiting_for.store(-1);
    std::lock_guard lock(mutex_);
    free_.push_back(static_cast<int>(s - states_.data()));
  }
  std::vector<BatchState>& states() { return states_; }

 private:
  std::vector<BatchState> states_;
  std::vector<int> free_;
  std::mutex mutex_;
};

/// Time a token pool spent empty: the measure of "waiting for a token" (a buffer, a slot). Lock-free: it
/// is touched twice per batch per pool, on the graph's hottest path.
class TokenGauge {
 public:
  void reset(int tokens) {
    free_ = tokens;
    empty_since_ = -1;
    empty_ns_ = 0;
  }
  void take(double now) {
    if (free_.fetch_sub(1, std::memory_order_acq_rel) == 1) empty_since_.store(now, std::memory_order_release);
  }
  /// Tokens in the pool now (the watchdog's view; racy by nature, exact once the graph is stalled).
  int free() const { return free_.load(std::memory_order_relaxed); }
  void give(double now) {
    if (free_.fetch_add(1, std::memory_order_acq_rel) == 0) {
      const double since = empty_since_.load(std::memory_order_acquire);
      if (since >= 0) empty_ns_.fetch_add(static_cast<std::int64_t>((now - since) * 1e9), std::memory_order_relaxed);
    }
  }
  double empty_seconds() const { return static_cast<double>(empty_ns_.load()) * 1e-9; }

 private:
  std::atomic<int> free_{0};
  std::atomic<double> empty_since_{-1};
  std::atomic<std::int64_t> empty_ns_{0};
};

}  // namespace feedgraph::detail
