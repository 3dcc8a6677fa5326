#pragma once
// One batch in device memory, as a training loop receives it from a Pipeline (feedgraph/pipeline.hpp).
//
//   for (feedgraph::DeviceBatch& batch : pipeline.batches(stream)) {
//     // batch.data() is ready for work queued on `stream`: the engine made the stream wait for the copy
//     // (an event wait on the device; the host never waited).
//     train_step(batch.data_as<float>(), batch.labels(), batch.samples(), stream);
//   }  // moving to the next batch records an event on `stream`; the buffer is reused once it has passed
//
// Lifetime rules:
//  - A pulled batch owns its device buffer until it is released: by moving on to the next batch in a
//    range-for, by `release(stream)`, or by its destructor. The engine reuses the buffer only after the work
//    queued on the release stream up to that point has run on the device: the host never waits for it.
//  - Keep a batch past the loop's next step by moving it out: `DeviceBatch kept = std::move(batch);`. Every
//    batch held is a device buffer the pipeline cannot fill (`buffers.device` bounds them), so a consumer
//    that holds them all stalls the pipeline until it lets one go: backpressure, never a deadlock.
//  - `sample_ids()`, `host_labels()` and `shape()` are host memory, valid while the batch is held.
//  - The memory stays allocated while the batch is held, even after its run ended, the next run started or the
//    Pipeline was destroyed; releasing a batch whose run has ended only frees it (once nothing holds any batch
//    of that run). Releasing twice does nothing.
//  - A consumer that learns its stream only when it uses the batch (DLPack's `__dlpack__(stream)`) pulls with
//    `Pipeline::batches(feedgraph::streams_later)` and calls `wait_on(stream)` for each stream that will use
//    the batch; releasing then waits for the work queued on each of them.
//  - A batch handed to a push callable (`Pipeline::run(fn)`) is only lent for the call: its buffer is reused
//    once the work `fn` queued on the stream it was given has run. Do not keep it.
//
// A DeviceBatch is not thread-safe: one thread uses it at a time (it may be moved to another thread).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "feedgraph/layout.hpp"
#include "feedgraph/stage.hpp"

namespace feedgraph {

namespace detail {
class PullChannel;
struct DeviceBatchAccess;
}  // namespace detail

class DeviceBatch {
 public:
  /// An empty batch: `!batch`, every accessor 0 or empty.
  DeviceBatch() = default;
  DeviceBatch(DeviceBatch&& other) noexcept : f_(std::exchange(other.f_, {})) {}
  DeviceBatch& operator=(DeviceBatch&& other) noexcept;
  DeviceBatch(const DeviceBatch&) = delete;
  DeviceBatch& operator=(const DeviceBatch&) = delete;
  /// Releases a pulled batch on the stream it was pulled on. Throws nothing.
  ~DeviceBatch();

  explicit operator bool() const noexcept { return f_.data != nullptr; }

  /// The batch's bytes: `samples()` samples of `sample_layout()`, densely packed, in device memory on cuda
  /// (host memory on the host backend). After `device_transforms`, the transformed bytes.
  std::byte* data() const noexcept { return f_.data; }
  template <class T>
  T* data_as() const noexcept {
    return reinterpret_cast<T*>(f_.data);
  }
  std::size_t size_bytes() const noexcept { return f_.bytes; }
  /// Samples in this batch: `batch_size`, fewer in an epoch's last batch or where samples were skipped.
  std::int64_t samples() const noexcept { return f_.samples; }
  /// `{samples(), sample dims...}`, e.g. {256, 3, 224, 224}.
  std::span<const std::int64_t> shape() const noexcept { return f_.shape; }
  DType dtype() const noexcept { return f_.layout ? f_.layout->dtype : DType::u8; }
  /// One sample's layout (no batch dimension). Null for an empty batch.
  const SampleLayout* sample_layout() const noexcept { return f_.layout; }

  /// Each sample's id in the dataset, in batch order (host memory).
  std::span<const std::int64_t> sample_ids() const noexcept { return f_.sample_ids; }
  /// One int64 label per sample, in the same memory as `data()` (device memory on cuda), ready with it.
  const std::int64_t* labels() const noexcept { return f_.labels; }
  /// The same labels in host memory.
  std::span<const std::int64_t> host_labels() const noexcept { return f_.host_labels; }

  std::int64_t epoch() const noexcept { return f_.epoch; }
  /// The batch's place in its epoch, 0-based.
  std::int64_t index() const noexcept { return f_.index; }
  /// The batch's place in the whole run, 0-based (epoch × batches per epoch + index when ordered).
  std::int64_t ticket() const noexcept { return f_.ticket; }

  /// The batch as a compute stage sees it, for the functions that take one (feedgraph::enqueue_device_checksum).
  /// Empty for an empty batch. Throws nothing.
  DeviceBatchView view() const;

  /// Make `stream` wait, on the device, until the batch is ready (the host does not wait), and remember it:
  /// release() also waits for the work queued on it. Does nothing for the stream the batch was pulled on, a
  /// stream already given, or an empty batch. Throws CudaError when the wait cannot be queued.
  void wait_on(CUstream_st* stream);

  /// Give the buffer back to the pipeline once the work queued on `stream` so far has run (an event the
  /// engine's copy stream waits for on the device). Leaves the batch empty. Does nothing on an empty batch.
  /// Pass the stream your last use of the batch was queued on, if it is not the one the batch was pulled on.
  void release(CUstream_st* stream) noexcept;
  /// The same once the work queued on every one of `streams` has run; none: at once (no device work used it).
  void release(std::span<CUstream_st* const> streams) noexcept;
  /// `release` on the stream the batch was pulled on (none with `streams_later`) and every stream given to
  /// wait_on().
  void release() noexcept;

 private:
  friend struct detail::DeviceBatchAccess;

  struct Fields {
    std::byte* data = nullptr;
    std::size_t bytes = 0;
    std::int64_t samples = 0;
    const SampleLayout* layout = nullptr;
    std::span<const std::int64_t> shape, sample_ids, host_labels;
    const std::int64_t* labels = nullptr;
    std::int64_t epoch = 0, index = 0, ticket = 0;
    // Pulled batches only: where to give the buffer back.
    std::shared_ptr<detail::PullChannel> channel;
    int slot = -1;
    std::uint64_t generation = 0;
    CUstream_st* stream = nullptr;
    bool stream_later = false;           // pulled with streams_later: `stream` waited for nothing
    std::vector<CUstream_st*> used_on;  // wait_on's streams (no allocation until the first)
  };
  Fields f_;
};

}  // namespace feedgraph
