#pragma once
// Between a run's last node and a consumer that pulls batches (Pipeline::batches): the run delivers each
// computed batch here with its device buffer still held; the consumer takes them in delivery order and gives
// each buffer back when it lets go of the batch.
//
// Every batch here holds a device-buffer token, so the channel never holds more than `buffers.device`
// batches and needs no bound of its own: a consumer that stops pulling stops the graph through its pools.
// Each delivered batch also holds the flow graph open (graph::reserve_wait), so that the graph does not
// finish while the consumer still has batches; giving the buffer back releases both.
//
// The channel shares the run's backend, and every pulled batch shares the channel: the device memory a batch
// points into stays allocated while the batch is held, after its run has ended and its GraphRun is gone.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <span>
#include <vector>

#include "feedgraph/device_batch.hpp"
#include "feedgraph/stage.hpp"

namespace feedgraph::detail {

class Backend;

/// Builds DeviceBatch values; the one friend of DeviceBatch's fields.
struct DeviceBatchAccess {
  /// A batch showing `view` (shape stored by the caller), owned by nobody: push callables.
  static DeviceBatch lend(const DeviceBatchView& view, std::span<const std::int64_t> shape);
  static void own(DeviceBatch& batch, std::shared_ptr<PullChannel> channel, int slot, std::uint64_t generation,
                  CUstream_st* stream, bool stream_later);
  static void clear(DeviceBatch& b) { b = DeviceBatch(); }
};

/// `{samples, dims...}` into `out` (reusing its capacity).
void batch_shape(std::int64_t samples, const SampleLayout& layout, std::vector<std::int64_t>& out);

class PullChannel : public std::enable_shared_from_this<PullChannel> {
 public:
  /// `give_back(slot)` returns a device buffer to the run's pool (and lets the graph finish); it is called
  /// without the channel's lock held, from whichever thread let go of the batch.
  PullChannel(std::shared_ptr<Backend> backend, int slots, std::function<void(int slot)> give_back);

  // ---- the run's side (its last node, serially, in delivery order) ------------------------------------
  /// Hand a computed batch to the consumer, in two steps: `stage` copies what `view` shows (its spans
  /// included) into the slot's record, which the consumer cannot see yet, so that the caller may then let
  /// go of its own state; `publish` makes it visible. False when the channel is closed or failed: the
  /// caller gives the slot back itself.
  void stage(int slot, const DeviceBatchView& view);
  bool publish(int slot);
  /// Every batch of the run has been delivered: once the consumer has taken them, `take` returns false.
  void finish();
  /// The run failed: the consumer's next `take` throws `error`; batches it had not taken go back. A later
  /// call keeps the first error unless `replaces` (the run's error changed: graph/first_error.hpp).
  void fail(std::exception_ptr error, bool replaces = false);

  // ---- the consumer's side ------------------------------------------------------------------------------
  /// The next batch; blocks while none is ready. With `wait`, `stream` is made to wait for it on the device
  /// (else the consumer calls wait_on for the streams it uses). False at the end of the run; throws the run's
  /// error if it failed.
  bool take(DeviceBatch& out, CUstream_st* stream, bool wait = true);
  /// True once take() would not block (a batch is queued, or the run ended, failed or was stopped); waits
  /// up to `timeout` for that.
  bool wait_ready(std::chrono::nanoseconds timeout);
  /// `stream` waits on the device for the batch in `slot`, held by the caller (DeviceBatch::wait_on). Throws
  /// CudaError.
  void wait_on(int slot, CUstream_st* stream);
  /// A pulled batch is let go (DeviceBatch::release) once the work queued on `streams` has run. Ignored if
  /// the channel was closed or the batch was already released.
  void release(int slot, std::uint64_t generation, std::span<CUstream_st* const> streams) noexcept;
  /// Stop: every batch, queued or held by the consumer, goes back now; later releases do nothing.
  void close();

  /// For the watchdog: the graph is waiting for the consumer (a batch is ready and not taken, or the
  /// consumer holds every buffer and is not waiting for another), which is backpressure, not a stall.
  bool waiting_for_consumer();
  /// The consumer holds every buffer and waits for a batch, which cannot come until it lets one go.
  bool consumer_deadlocked();
  /// Batches delivered and not yet released: queued for the consumer or held by it (the watchdog's report).
  int outstanding();
  /// True once take() has returned false or thrown.
  bool drained();
  /// Seconds the consumer spent blocked in take() and wait_ready() waiting for a batch.
  double consumer_wait_s() const { return static_cast<double>(consumer_wait_ns_.load()) * 1e-9; }

 private:
  struct Held {
    std::vector<std::int64_t> ids, labels, shape;  // capacity kept across deliveries
    DeviceBatchView view;
    std::uint64_t generation = 0;
    enum class State { free, queued, held } state = State::free;
  };
  std::vector<int> give_back_all_locked(bool held_too);

  std::shared_ptr<Backend> backend_;
  std::function<void(int)> give_back_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::vector<Held> slots_;
  std::vector<int> queue_;  // a ring of slots in delivery order; never more than slots_.size()
  std::size_t queue_head_ = 0, queued_ = 0;
  int held_ = 0;
  int waiting_ = 0;  // consumers blocked in take(): publish signals only then
  std::atomic<std::int64_t> consumer_wait_ns_{0};
  std::atomic<bool> news_{false};  // something changed since the consumer last looked: take() spins on it
  bool finished_ = false, closed_ = false, drained_ = false;
  std::exception_ptr error_;
};

}  // namespace feedgraph::detail
