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
//  - The memory stays allocated until the next run of the same Pipeline starts or the Pipeline is destroyed;
//    releasing after that, or twice, does nothing.
//  - A batch handed to a push callable (`Pipeline::run(fn)`) is only lent for the call: its buffer is reused
//    once the work `fn` queued on the stream it was given has run. Do not keep it.
//
// A DeviceBatch is not thread-safe: one thread uses it at a time (it may be moved to another thread).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "feedgraph/layout.hpp"

struct CUstream_st;  // cudaStream_t without including the CUDA runtime (DESIGN §2)

namespace feedgraph {

namespace detail {
class PullChannel;
struct DeviceBatchAccess;
}  // namespace detail

class DeviceBatch {
 public:
  /// An empty batch: `!batch`, every accessor 0 or empty.
  DeviceBatch() = default;
  DeviceBatch(DeviceBatch&& other) noexcept;
  DeviceBatch& operator=(DeviceBatch&& other) noexcept;
  DeviceBatch(const DeviceBatch&) = delete;
  DeviceBatch& operator=(const DeviceBatch&) = delete;
  /// Releases a pulled batch on the stream it was pulled on.
  ~DeviceBatch();

  explicit operator bool() const noexcept { return data_ != nullptr; }

  /// The batch's bytes: `samples()` samples of `sample_layout()`, densely packed, in device memory on cuda
  /// (host memory on the host backend). After `device_transforms`, the transformed bytes.
  std::byte* data() const noexcept { return data_; }
  template <class T>
  T* data_as() const noexcept {
    return reinterpret_cast<T*>(data_);
  }
  std::size_t size_bytes() const noexcept { return bytes_; }
  /// Samples in this batch: `batch_size`, fewer in an epoch's last batch or where samples were skipped.
  std::int64_t samples() const noexcept { return samples_; }
  /// `{samples(), sample dims...}`, e.g. {256, 3, 224, 224}.
  std::span<const std::int64_t> shape() const noexcept { return shape_; }
  DType dtype() const noexcept { return dtype_; }
  /// One sample's layout (no batch dimension). Null for an empty batch.
  const SampleLayout* sample_layout() const noexcept { return layout_; }

  /// Each sample's id in the dataset, in batch order (host memory).
  std::span<const std::int64_t> sample_ids() const noexcept { return sample_ids_; }
  /// One int64 label per sample, in the same memory as `data()` (device memory on cuda), ready with it.
  const std::int64_t* labels() const noexcept { return labels_; }
  /// The same labels in host memory.
  std::span<const std::int64_t> host_labels() const noexcept { return host_labels_; }

  std::int64_t epoch() const noexcept { return epoch_; }
  /// The batch's place in its epoch, 0-based.
  std::int64_t index() const noexcept { return index_; }
  /// The batch's place in the whole run, 0-based (epoch × batches per epoch + index when ordered).
  std::int64_t ticket() const noexcept { return ticket_; }

  /// Give the buffer back to the pipeline once the work queued on `stream` so far has run (an event the
  /// engine's copy stream waits for on the device). Leaves the batch empty. Does nothing on an empty batch.
  /// Pass the stream your last use of the batch was queued on, if it is not the one the batch was pulled on.
  void release(CUstream_st* stream) noexcept;
  /// `release` on the stream the batch was pulled on.
  void release() noexcept;

 private:
  friend struct detail::DeviceBatchAccess;

  std::byte* data_ = nullptr;
  std::size_t bytes_ = 0;
  std::int64_t samples_ = 0;
  DType dtype_ = DType::u8;
  const SampleLayout* layout_ = nullptr;
  std::span<const std::int64_t> shape_, sample_ids_, host_labels_;
  const std::int64_t* labels_ = nullptr;
  std::int64_t epoch_ = 0, index_ = 0, ticket_ = 0;
  // Pulled batches only: where to give the buffer back.
  std::shared_ptr<detail::PullChannel> channel_;
  int slot_ = -1;
  std::uint64_t generation_ = 0;
  CUstream_st* stream_ = nullptr;
};

}  // namespace feedgraph
