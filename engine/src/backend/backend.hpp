#pragma once
// The device side of a run, behind one interface: the cuda backend drives a real GPU, the host backend
// stands in for it with a copy thread and a compute thread. The graph never knows which.
//
// Work is addressed by device-buffer slot: slot d owns a device buffer, its copy and compute events, its
// checksum cell and its completion records. A slot is reused only after the completion of its compute was
// delivered, so the events it records are never overwritten while someone still reads them (DALI's rule).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "backend/device_transform.hpp"
#include "backend/encoded_batch.hpp"
#include "feedgraph/spec.hpp"
#include "feedgraph/stage.hpp"

namespace feedgraph::detail {

enum class Op { copy, compute };

/// Receives the completion of a copy or a compute. Called from the backend's own thread (a CUDA callback
/// thread or the host stand-in's stream thread) or, for blocking copies, inline. Must make no CUDA call.
class CompletionSink {
 public:
  virtual void on_complete(Op op, int slot, int status, const char* message) noexcept = 0;

 protected:
  ~CompletionSink() = default;
};

/// When the last copy and compute of a slot ran, in seconds on the run's host clock.
struct SlotTimes {
  double copy_begin = 0, copy_end = 0, compute_begin = 0, compute_end = 0;
};

struct CopyMode {
  bool blocking = false;     ///< copy, then wait for the stream before returning (non_blocking: false)
  bool own_stream = true;    ///< the copy stream; false: the compute stream (copy_stream: false)
};

/// Counts what the engine allocated, so a run can report its measured peak.
struct MemoryCounter {
  std::uint64_t current = 0;
  std::uint64_t peak = 0;
  void add(std::uint64_t n) { current += n; if (current > peak) peak = current; }
  void sub(std::uint64_t n) { current -= n; }
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual BackendKind kind() const = 0;
  virtual std::string device_name() const = 0;

  /// Allocate `slots` device buffers of `bytes` each, room for `labels` labels beside each, a second buffer
  /// of `transformed` bytes each for device transforms (0: none), and everything that goes with them
  /// (events, checksum cells, callback records). Called once, before the graph starts.
  virtual void allocate_slots(int slots, std::size_t bytes, std::size_t labels, std::size_t transformed,
                              MemoryCounter& counter) = 0;
  /// With decode on the device (`transform.decode`), after allocate_slots and before the graph starts: make
  /// the decoder once (cuda: nvJPEG's handles and states) and the per-slot room its batches need, counted in
  /// `counter`. The host stand-in decodes with the pipeline's own decode_jpeg and needs nothing more.
  virtual void prepare_decode(const DeviceTransform& /*transform*/, std::int64_t /*batch_size*/,
                              MemoryCounter& /*counter*/) {}
  virtual std::byte* slot_memory(int slot) = 0;
  /// The slot's labels, in the same memory as its data (device memory on cuda).
  virtual const std::int64_t* slot_labels(int slot) = 0;

  /// Page-locked host memory on cuda, ordinary memory on host. Freed by the returned owner.
  virtual std::shared_ptr<std::byte> allocate_pinned(std::size_t bytes, MemoryCounter& counter) = 0;

  /// Call right before the graph starts: SlotTimes count from here (the GPU clock placed on the host's by
  /// waiting for an origin event once), and completions go to `sink`.
  virtual void start(CompletionSink& sink) = 0;

  /// Copy `bytes` from host memory `src`, and the batch's `labels`, into slot `slot`; completion is reported
  /// as Op::copy. `labels` may be reused as soon as this returns. A ragged batch passes its `encoded` samples
  /// (where each file lies, and what the device makes of it), which the slot keeps for its compute.
  virtual void copy(int slot, const std::byte* src, std::size_t bytes, std::span<const std::int64_t> labels,
                    std::span<const EncodedSample> encoded, CopyMode mode) = 0;
  /// After the slot's copy, run `stage` on its `batch` (bytes from the slot's buffer); completion is
  /// reported as Op::compute, after the checksum is readable through `checksum(slot)`. With an active
  /// `transform`, the checksum is taken of the bytes that crossed, the transform writes the slot's second
  /// buffer, and the stage runs on that (its own checksum is not the one compared).
  /// `verify`: whether the checksum will be compared (the stage may skip a checksum that is extra work).
  virtual void compute(int slot, ComputeStage& stage, DeviceBatchView batch, const DeviceTransform* transform,
                       bool verify) = 0;
  /// `faults:` (trap, slow_consumer): ahead of the slot's next compute, keep the compute stream busy for
  /// `delay_s`, and/or fault as a trapping kernel does (cuda: a real `__trap()`, after which the context is
  /// unusable, as after any device fault; host: the compute completes with an error status).
  virtual void inject_fault(int slot, bool trap, double delay_s) = 0;
  /// The CUstream_st* the compute stage runs on (null on host), for ComputeStage::prepare.
  virtual CUstream_st* compute_stream() = 0;

  /// The slot's second buffer, which an active device transform writes (null without one).
  virtual std::byte* slot_transformed(int slot) = 0;

  // ---- a consumer that pulls batches (feedgraph::Pipeline::batches) --------------------------------------
  /// Make `stream` wait, on the device, until the slot's compute work (device transform, checksum) is done.
  /// Called from the consumer's thread; the host does not wait.
  virtual void ready_on(int slot, CUstream_st* stream) = 0;
  /// The consumer is done with the slot once the work queued on each of `streams` so far has run: the slot's
  /// next copy waits for that on the device. Called from the thread that lets go, before the slot goes back.
  /// No streams: the consumer queued no device work on the slot, and nothing is waited for.
  virtual void release_on(int slot, std::span<CUstream_st* const> streams) = 0;

  virtual SlotTimes times(int slot) = 0;
  virtual std::uint64_t checksum(int slot) = 0;
  /// "cudaErrorLaunchFailure" for a status a completion reported.
  virtual std::string status_name(int status) = 0;
  virtual std::string status_text(int status) = 0;

  /// Wait until all enqueued device work is done (end of run, error paths). Never throws.
  virtual void drain() noexcept = 0;
};

/// Which backend `device` resolves to, and why; cuda probing happens here.
struct DeviceChoice {
  BackendKind kind = BackendKind::host;
  int index = 0;
  std::string name;
  std::string reason;
};
/// Throws Error when `cuda` is asked for and no such device answers. With `auto` and several devices, the
/// process with local rank r takes cuda:(r mod count).
DeviceChoice choose_device(const DeviceSelection& selection, int local_rank = 0);

std::unique_ptr<Backend> make_host_backend();
/// "host stand-in (16 cores)"
std::string host_device_name();
/// Throws Error when the build has no CUDA.
std::unique_ptr<Backend> make_cuda_backend(int device_index);

/// cuda device count, or 0 with `why` filled (no driver, no device, built without CUDA).
int cuda_device_count(std::string& why);
std::string cuda_device_name(int index);

}  // namespace feedgraph::detail
