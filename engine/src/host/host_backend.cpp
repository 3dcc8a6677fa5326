// The host backend: a copy thread and a compute thread stand in for the copy engine and the compute stream.
//
// It exists so that the whole graph (tokens, async completions, ordering, errors) runs and is tested where
// there is no GPU; it is the same graph, not a shortcut around it. Each stand-in thread executes its ops in
// FIFO order like a CUDA stream, and reports completions from its own thread like a stream callback.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "backend/backend.hpp"
#include "feedgraph/checksum.hpp"
#include "feedgraph/errors.hpp"
#include "host/op_queue.hpp"
#include "samples/sample_buffer.hpp"
#include "backend/batch_memory.hpp"
#include "backend/live_counts.hpp"

namespace feedgraph::detail {
namespace {

using Clock = std::chrono::steady_clock;

// The stand-ins for page-locked and device memory are counted as what they stand in for, so that the
// resource tests (nothing left after a run) hold on the host backend too.
template <Counted kind>
struct CountedFree {
  void operator()(std::byte* p) const noexcept {
    FreeBatchMemory{}(p);
    count_down(kind);
  }
};
using PinnedStandIn = CountedFree<Counted::pinned>;
using DeviceStandIn = CountedFree<Counted::device>;

template <Counted kind>
std::unique_ptr<std::byte, CountedFree<kind>> counted_bytes(std::size_t bytes) {
  std::unique_ptr<std::byte, CountedFree<kind>> owner(allocate_batch_memory(bytes));
  count_up(kind);
  return owner;
}

class HostBackend final : public Backend {
 public:
  ~HostBackend() override { drain(); }

  BackendKind kind() const override { return BackendKind::host; }
  std::string device_name() const override { return host_device_name(); }

  void allocate_slots(int slots, std::size_t bytes, std::size_t labels, std::size_t transformed,
                      MemoryCounter& counter) override {
    for (int i = 0; i < slots; ++i) {
      auto& s = *slots_.emplace_back(std::make_unique<Slot>());
      s.memory = counted_bytes<Counted::device>(bytes);
      if (transformed > 0) {
        s.transformed = counted_bytes<Counted::device>(transformed);
        counter.add(transformed);
      }
      s.labels.assign(std::max<std::size_t>(1, labels), 0);
      counter.add(bytes + s.labels.size() * sizeof(std::int64_t));
    }
    // One op per slot per stream can be outstanding; the queues never grow after this.
    copy_queue_.reserve(static_cast<std::size_t>(slots) * 2 + 2);
    compute_queue_.reserve(static_cast<std::size_t>(slots) * 2 + 2);
  }
  std::byte* slot_memory(int slot) override { return slots_[static_cast<std::size_t>(slot)]->memory.get(); }
  const std::int64_t* slot_labels(int slot) override { return slots_[static_cast<std::size_t>(slot)]->labels.data(); }

  std::shared_ptr<std::byte> allocate_pinned(std::size_t bytes, MemoryCounter& counter) override {
    counter.add(bytes);
    auto owner = counted_bytes<Counted::pinned>(bytes);
    return std::shared_ptr<std::byte>(std::move(owner));
  }

  void start(CompletionSink& sink) override {
    sink_ = &sink;
    copy_thread_ = CountedThread("fg-host-copy", [this] { copy_queue_.serve([this](const HostOp& op) { execute(op); }); });
    compute_thread_ = CountedThread("fg-host-compute", [this] { compute_queue_.serve([this](const HostOp& op) { execute(op); }); });
    // Last, so that the graph's clock (started when this returns) and this one agree to a microsecond; no op
    // can run before the graph starts, so none reads it early.
    origin_ = Clock::now();
  }

  void copy(int slot, const std::byte* src, std::size_t bytes, std::span<const std::int64_t> labels,
            std::span<const EncodedSample> encoded, CopyMode mode) override {
    auto& s = *slots_[static_cast<std::size_t>(slot)];
    // The slot is free (its last compute completed), so its labels can be written now, off the stream.
    std::copy(labels.begin(), labels.end(), s.labels.begin());
    s.encoded.assign(encoded.begin(), encoded.end());  // capacity grows to a batch once
    {
      std::lock_guard lock(s.mutex);
      s.copied = false;
    }
    HostOp op{Op::copy, slot, src, bytes, nullptr, {}, !mode.blocking};
    (mode.own_stream ? copy_queue_ : compute_queue_).push(op);
    if (mode.blocking) {
      // non_blocking: false — the caller waits for the stream, as `cudaStreamSynchronize` would.
      std::unique_lock lock(s.mutex);
      s.changed.wait(lock, [&] { return s.copied; });
      lock.unlock();
      sink_->on_complete(Op::copy, slot, s.status, s.status ? s.message.c_str() : nullptr);
    }
  }

  void compute(int slot, ComputeStage& stage, DeviceBatchView batch, const DeviceTransform* transform,
               bool verify) override {
    auto& s = *slots_[static_cast<std::size_t>(slot)];
    compute_queue_.push(HostOp{Op::compute, slot, nullptr, 0, &stage, batch, true,
                               transform && transform->active() ? transform : nullptr, verify, s.fault_trap,
                               s.fault_delay_s});
    s.fault_trap = false;
    s.fault_delay_s = 0;
  }
  void inject_fault(int slot, bool trap, double delay_s) override {
    auto& s = *slots_[static_cast<std::size_t>(slot)];
    s.fault_trap = trap;
    s.fault_delay_s = delay_s;
  }
  CUstream_st* compute_stream() override { return nullptr; }
  std::byte* slot_transformed(int slot) override { return slots_[static_cast<std::size_t>(slot)]->transformed.get(); }
  // The consumer runs on the host, synchronously: a batch it was handed is ready, and one it released is done.
  void ready_on(int, CUstream_st*) override {}
  void release_on(int, std::span<CUstream_st* const>) override {}

  SlotTimes times(int slot) override { return slots_[static_cast<std::size_t>(slot)]->times; }
  std::uint64_t checksum(int slot) override { return slots_[static_cast<std::size_t>(slot)]->checksum; }
  std::string status_name(int status) override { return status ? "host stage error" : "ok"; }
  std::string status_text(int status) override { return status ? "the stage threw" : "ok"; }

  void drain() noexcept override {
    copy_queue_.close();
    compute_queue_.close();
    if (copy_thread_.joinable()) copy_thread_.join();
    if (compute_thread_.joinable()) compute_thread_.join();
  }

 private:
  struct Slot {
    std::unique_ptr<std::byte, DeviceStandIn> memory, transformed;
    std::vector<std::int64_t> labels;
    std::vector<EncodedSample> encoded;  // a ragged batch's samples
    SlotTimes times;
    std::uint64_t checksum = 0;
    int status = 0;
    std::string message;
    std::mutex mutex;
    std::condition_variable changed;
    bool copied = false;  // the host stand-in for the slot's copy-end event
    bool fault_trap = false;  // `faults:` for the slot's next compute
    double fault_delay_s = 0;
  };

  double now() const { return std::chrono::duration<double>(Clock::now() - origin_).count(); }

  void execute(const HostOp& op) {
    auto& s = *slots_[static_cast<std::size_t>(op.slot)];
    if (op.op == Op::copy) {
      s.times.copy_begin = now();
      std::memcpy(s.memory.get(), op.src, op.bytes);
      s.times.copy_end = now();
      s.status = 0;
      {
        std::lock_guard lock(s.mutex);
        s.copied = true;
      }
      s.changed.notify_all();
      if (op.notify) sink_->on_complete(Op::copy, op.slot, 0, nullptr);
      return;
    }
    // The compute stream waits for the slot's copy (cudaStreamWaitEvent), not the host.
    {
      std::unique_lock lock(s.mutex);
      s.changed.wait(lock, [&] { return s.copied; });
    }
    s.times.compute_begin = now();
    s.status = 0;
    try {
      s.checksum = 0;
      if (op.delay_s > 0) std::this_thread::sleep_for(std::chrono::duration<double>(op.delay_s));
      if (op.trap)
        throw std::runtime_error("device fault: an injected trap [faults: trap] (on cuda: cudaErrorLaunchFailure, "
                                 "after which the context is unusable)");
      if (op.transform && op.transform->decode) {
        // As on the GPU: the checksum of the files that crossed, then decode and the fused transform.
        s.checksum = decode_batch(*op.transform, op.batch, s);
      } else if (op.transform) {
        // As on the GPU: the checksum of the bytes that crossed, then the transform, then the stage.
        s.checksum = batch_checksum({op.batch.data, op.batch.bytes}, op.batch.layout.bytes());
        apply_device_transform_host(*op.transform, op.batch.data, s.transformed.get(), op.batch.samples);
      }
      if (op.transform) {
        std::uint64_t own = 0;
        DeviceBatchView view = op.batch;
        view.data = s.transformed.get();
        view.bytes = static_cast<std::size_t>(op.batch.samples) * op.transform->out.bytes();
        view.layout = op.transform->out;
        op.stage->launch(ComputeLaunch{BackendKind::host, view, &own, nullptr, false});
      } else {
        op.stage->launch(ComputeLaunch{BackendKind::host, op.batch, &s.checksum, nullptr, op.verify});
      }
    } catch (const std::exception& e) {
      s.status = 1;
      s.message = e.what();
    }
    s.times.compute_end = now();
    sink_->on_complete(Op::compute, op.slot, s.status, s.status ? s.message.c_str() : nullptr);
  }

  /// decode_jpeg on the stand-in: each file decoded with libjpeg-turbo (the host's decode_jpeg), then the
  /// fused kernel's host reference into the slot's second buffer. Returns the checksum of the files.
  std::uint64_t decode_batch(const DeviceTransform& t, const DeviceBatchView& batch, Slot& s) {
    std::uint64_t sum = 0;
    const std::size_t out_bytes = t.out.bytes();
    for (std::size_t k = 0; k < s.encoded.size(); ++k) {
      const EncodedSample& e = s.encoded[k];
      const std::span<const std::byte> file{batch.data + e.offset, static_cast<std::size_t>(e.bytes)};
      sum += words_checksum(file, e.offset / 8);
      const SampleLayout encoded{{static_cast<std::int64_t>(e.bytes)}, DType::u8};
      try {
        t.decode->decoder->apply(SampleView{file, encoded}, decoded_, SampleContext{batch.sample_ids[k], batch.epoch, 0});
      } catch (const std::exception& ex) {
        throw std::runtime_error("decode_jpeg on the device: sample " + std::to_string(batch.sample_ids[k]) + ": " + ex.what());
      }
      const SampleLayout& got = decoded_.layout();
      if (got.shape.size() != 3 || got.shape[0] != e.height || got.shape[1] != e.width)
        throw std::runtime_error("decode_jpeg on the device: sample " + std::to_string(batch.sample_ids[k]) +
                                 " decoded to " + got.describe() + ", not the header's " + std::to_string(e.height) +
                                 "x" + std::to_string(e.width));
      apply_decoded_host(t, reinterpret_cast<const std::uint8_t*>(decoded_.bytes().data()), e.height, e.width, e.map,
                         s.transformed.get() + k * out_bytes);
    }
    return sum;
  }

  std::vector<std::unique_ptr<Slot>> slots_;  // pointers: a Slot holds a mutex
  SampleBuffer decoded_;  // the stand-in decoder's output, grown to the largest image once
  CompletionSink* sink_ = nullptr;
  Clock::time_point origin_;
  OpQueue copy_queue_;
  OpQueue compute_queue_;
  CountedThread copy_thread_;
  CountedThread compute_thread_;
};

}  // namespace

std::unique_ptr<Backend> make_host_backend() { return std::make_unique<HostBackend>(); }

}  // namespace feedgraph::detail
