#include "graph/pull_channel.hpp"

#include "backend/spin_briefly.hpp"

#include <thread>

#include "backend/backend.hpp"

namespace feedgraph::detail {

DeviceBatch DeviceBatchAccess::lend(const DeviceBatchView& v, std::span<const std::int64_t> shape) {
  DeviceBatch b;
  auto& f = b.f_;
  f.data = const_cast<std::byte*>(v.data);  // the consumer's to use as it likes while it holds the batch
  f.bytes = v.bytes;
  f.samples = v.samples;
  f.layout = &v.layout;
  f.shape = shape;
  f.sample_ids = v.sample_ids;
  f.host_labels = v.host_labels;
  f.labels = v.labels;
  f.epoch = v.epoch;
  f.index = v.index;
  f.ticket = v.ticket;
  return b;
}

void DeviceBatchAccess::own(DeviceBatch& b, std::shared_ptr<PullChannel> channel, int slot, std::uint64_t generation,
                            CUstream_st* stream, bool stream_later) {
  b.f_.stream_later = stream_later;
  b.f_.channel = std::move(channel);
  b.f_.slot = slot;
  b.f_.generation = generation;
  b.f_.stream = stream;
}

void batch_shape(std::int64_t samples, const SampleLayout& layout, std::vector<std::int64_t>& out) {
  out.clear();
  out.push_back(samples);
  out.insert(out.end(), layout.shape.begin(), layout.shape.end());
}

PullChannel::PullChannel(std::shared_ptr<Backend> backend, int slots, std::function<void(int)> give_back)
    : backend_(std::move(backend)), give_back_(std::move(give_back)), slots_(static_cast<std::size_t>(slots)),
      queue_(static_cast<std::size_t>(slots)) {}

void PullChannel::stage(int slot, const DeviceBatchView& view) {
  // The slot is free (its token is the caller's), so nobody else touches its record: no lock.
  Held& h = slots_[static_cast<std::size_t>(slot)];
  h.ids.assign(view.sample_ids.begin(), view.sample_ids.end());
  h.labels.assign(view.host_labels.begin(), view.host_labels.end());
  batch_shape(view.samples, view.layout, h.shape);
  h.view = view;
  h.view.sample_ids = h.ids;
  h.view.host_labels = h.labels;
}

bool PullChannel::publish(int slot) {
  {
    std::lock_guard lock(mutex_);
    if (closed_ || error_) return false;
    Held& h = slots_[static_cast<std::size_t>(slot)];
    ++h.generation;
    h.state = Held::State::queued;
    queue_[(queue_head_ + queued_) % queue_.size()] = slot;
    ++queued_;
    news_.store(true, std::memory_order_release);
    if (waiting_ == 0) return true;  // the consumer is busy or spinning: no futex wake needed
  }
  ready_.notify_one();
  return true;
}

void PullChannel::finish() {
  {
    std::lock_guard lock(mutex_);
    finished_ = true;
    news_.store(true);
  }
  ready_.notify_all();
}

void PullChannel::fail(std::exception_ptr error, bool replaces) {
  std::vector<int> back;
  {
    std::lock_guard lock(mutex_);
    if (!error_ || replaces) error_ = error;
    news_.store(true);
    back = give_back_all_locked(false);
  }
  ready_.notify_all();
  for (int slot : back) give_back_(slot);
}

namespace {
/// Adds the time from construction to destruction to a counter: the consumer's waits.
class WaitClock {
 public:
  explicit WaitClock(std::atomic<std::int64_t>& total) : total_(total), start_(std::chrono::steady_clock::now()) {}
  ~WaitClock() {
    total_.fetch_add(std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start_).count(),
                     std::memory_order_relaxed);
  }

 private:
  std::atomic<std::int64_t>& total_;
  std::chrono::steady_clock::time_point start_;
};
}  // namespace

bool PullChannel::wait_ready(std::chrono::nanoseconds timeout) {
  WaitClock clock(consumer_wait_ns_);
  std::unique_lock lock(mutex_);
  ++waiting_;
  const bool ready =
      ready_.wait_for(lock, timeout, [&] { return queued_ > 0 || finished_ || closed_ || error_ != nullptr; });
  --waiting_;
  return ready;
}

bool PullChannel::take(DeviceBatch& out, CUstream_st* stream, bool wait) {
  DeviceBatchAccess::clear(out);
  int slot = -1;
  std::uint64_t generation = 0;
  // A batch usually arrives within microseconds of the last when the loop is the faster side: look again for
  // a little while before sleeping, since a futex sleep and wake costs more than a batch of a fast graph.
  {
    WaitClock clock(consumer_wait_ns_);
    spin_briefly([&] { return news_.load(std::memory_order_acquire); }, std::chrono::microseconds(50));
  }
  {
    std::unique_lock lock(mutex_);
    ++waiting_;
    {
      WaitClock clock(consumer_wait_ns_);
      ready_.wait(lock, [&] { return queued_ > 0 || finished_ || closed_ || error_; });
    }
    --waiting_;
    if (error_) {
      drained_ = true;
      std::rethrow_exception(error_);
    }
    if (queued_ == 0 || closed_) {
      drained_ = true;
      return false;
    }
    slot = queue_[queue_head_];
    queue_head_ = (queue_head_ + 1) % queue_.size();
    --queued_;
    news_.store(queued_ > 0, std::memory_order_relaxed);
    Held& h = slots_[static_cast<std::size_t>(slot)];
    h.state = Held::State::held;
    ++held_;
    generation = h.generation;
    out = DeviceBatchAccess::lend(h.view, h.shape);
  }
  DeviceBatchAccess::own(out, shared_from_this(), slot, generation, stream, !wait);
  if (!wait) return true;
  // The consumer's stream waits for the batch on the device. Should this fail, the batch goes back first.
  try {
    backend_->ready_on(slot, stream);
  } catch (...) {
    out.release(std::span<CUstream_st* const>{});
    throw;
  }
  return true;
}

void PullChannel::wait_on(int slot, CUstream_st* stream) {
  // No lock: the slot's compute event is recorded again only after the holder released it, and after a close
  // (a stopped run) nothing is recorded any more; the backend lives as long as this channel.
  backend_->ready_on(slot, stream);
}

void PullChannel::release(int slot, std::uint64_t generation, std::span<CUstream_st* const> streams) noexcept {
  {
    std::lock_guard lock(mutex_);
    Held& h = slots_[static_cast<std::size_t>(slot)];
    if (closed_ || h.state != Held::State::held || h.generation != generation) return;
    h.state = Held::State::free;
    --held_;
  }
  // Recorded before the slot goes back: the copy that reuses it waits for this event.
  try {
    backend_->release_on(slot, streams);
  } catch (...) {
    // A broken context: the run fails on its own; the slot must still go back so that the graph can end.
  }
  give_back_(slot);  // a buffer_node put and a counter: does not throw
}

void PullChannel::close() {
  std::vector<int> back;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    closed_ = true;
    news_.store(true);
    back = give_back_all_locked(true);
  }
  ready_.notify_all();
  for (int slot : back) give_back_(slot);
}

std::vector<int> PullChannel::give_back_all_locked(bool held_too) {
  std::vector<int> back;
  for (; queued_ > 0; --queued_) {
    const int slot = queue_[queue_head_];
    queue_head_ = (queue_head_ + 1) % queue_.size();
    slots_[static_cast<std::size_t>(slot)].state = Held::State::free;
    back.push_back(slot);
  }
  if (held_too) {
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      if (slots_[i].state != Held::State::held) continue;
      slots_[i].state = Held::State::free;
      back.push_back(static_cast<int>(i));
    }
    held_ = 0;
  }
  return back;
}

int PullChannel::outstanding() {
  std::lock_guard lock(mutex_);
  return held_ + static_cast<int>(queued_);
}

bool PullChannel::waiting_for_consumer() {
  std::lock_guard lock(mutex_);
  if (queued_ > 0) return true;
  // Every buffer held is the consumer's to give back, unless the consumer is itself waiting for the next
  // batch: then none can come (a loop that keeps every batch alive and asks for more), and the watchdog must
  // say so rather than wait for ever.
  return held_ == static_cast<int>(slots_.size()) && waiting_ == 0;
}

bool PullChannel::consumer_deadlocked() {
  std::lock_guard lock(mutex_);
  return queued_ == 0 && held_ == static_cast<int>(slots_.size()) && waiting_ > 0;
}

bool PullChannel::drained() {
  std::lock_guard lock(mutex_);
  return drained_;
}

}  // namespace feedgraph::detail
