// The cuda backend: a copy stream, a compute stream, events per device-buffer slot, and completions
// delivered by cudaStreamAddCallback.
//
// Why cudaStreamAddCallback and not cudaLaunchHostFunc: a host function is not called once the context has
// an error, so a pipeline waiting on it would hang after a kernel fault; a stream callback is always called
// and carries the status. The callback makes no CUDA call; it only hands the status to the sink.
//
// Why the callbacks sit on streams of their own: a stream callback holds back everything queued after it on
// its stream until the host has run it (tens to hundreds of microseconds to wake the callback thread). On the
// copy stream that is a gap between consecutive copies, on the compute stream a gap between kernels. So each
// completion is an event on the working stream, waited for by a notify stream (one for copies, one for
// computes, so that each keeps its completions in order) that carries the callback; the working streams
// never wait for the host. A kernel fault still reaches the callbacks: the notify streams see the error too.
#include <cuda_runtime_api.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <vector>

#include "backend/backend.hpp"
#include "backend/numa_node.hpp"
#include "cuda/check.hpp"
#include "cuda/fault_kernels.hpp"
#include "feedgraph/device_checksum.hpp"
#include "cuda/handles.hpp"
#if FEEDGRAPH_HAVE_NVJPEG
#include "cuda/nvjpeg_decoder.hpp"
#endif

namespace feedgraph::detail {

void warn_cuda(const char* call, cudaError_t code) noexcept {
  std::fprintf(stderr, "feedgraph: warning: %s: %s (%d)\n", call, cudaGetErrorName(code), static_cast<int>(code));
}

namespace {


class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(int device) : device_(device) {
    FG_CUDA(cudaSetDevice(device_));
    cudaDeviceProp prop{};
    FG_CUDA(cudaGetDeviceProperties(&prop, device_));
    name_ = prop.name;
    copy_stream_ = make_stream();
    compute_stream_ = make_stream();
    copy_notify_ = make_stream();
    compute_notify_ = make_stream();
    origin_event_ = make_event();
    // On a host of several NUMA nodes the batch buffers are pinned from the GPU's own node (numa_node.hpp).
    if (numa_node_count() > 1) {
      char bus_id[32] = {};
      if (cudaDeviceGetPCIBusId(bus_id, sizeof bus_id, device_) == cudaSuccess)
        pinned_cpus_ = numa_node_cpus(pci_numa_node(bus_id));
    }
  }

  ~CudaBackend() override { drain(); }

  BackendKind kind() const override { return BackendKind::cuda; }
  std::string device_name() const override { return name_; }

  void allocate_slots(int slots, std::size_t bytes, std::size_t labels, std::size_t transformed,
                      MemoryCounter& counter) override {
    FG_CUDA(cudaSetDevice(device_));
    slots_ = std::vector<Slot>(static_cast<std::size_t>(slots));  // built in place: a Slot holds an atomic
    // Two cells per slot: the checksum compared with the host's, and where a stage that runs after a device
    // transform writes its own (not compared: the transform changed the bytes).
    checksum_device_ = make_device(2 * sizeof(std::uint64_t) * static_cast<std::size_t>(slots));
    checksum_host_ = make_pinned(sizeof(std::uint64_t) * static_cast<std::size_t>(slots));
    counter.add(2 * sizeof(std::uint64_t) * static_cast<std::size_t>(slots));
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      auto& s = slots_[i];
      s.memory = make_device(bytes);
      counter.add(bytes);
      if (transformed > 0) {
        s.transformed = make_device(transformed);
        counter.add(transformed);
      }
      // Labels cross in their own small copy from a page-locked staging array per slot: the slot is reused
      // only after its compute completed, so the array is free whenever the slot is.
      const std::size_t label_bytes = std::max<std::size_t>(1, labels) * sizeof(std::int64_t);
      s.labels = make_device(label_bytes);
      s.labels_host = make_pinned(label_bytes);
      counter.add(2 * label_bytes);
      s.copy_begin = make_event();
      s.copy_end = make_event();
      s.compute_begin = make_event();
      s.compute_end = make_event();
      s.on_copy = Callback{this, static_cast<int>(i), Op::copy};
      s.on_compute = Callback{this, static_cast<int>(i), Op::compute};
    }
  }
#if FEEDGRAPH_HAVE_NVJPEG
  void prepare_decode(const DeviceTransform& transform, std::int64_t batch_size, MemoryCounter& counter) override {
    FG_CUDA(cudaSetDevice(device_));
    decoder_ = std::make_unique<NvjpegDecoder>(device_, transform.decode->backend, transform.decode->channels, batch_size,
                                               transform.decode->hardware_load, transform.decode->lanes,
                                               transform.decode->hardware_threads);
    counter_ = &counter;
    // Per slot: the batch's EncodedSample and DecodedImage records, filled on the host and copied beside the
    // batch, which the checksum and the fused pass read. Written only while the slot is free.
    meta_capacity_ = static_cast<std::size_t>(batch_size);
    const std::size_t meta = meta_capacity_ * (sizeof(EncodedSample) + sizeof(DecodedImage));
    for (auto& s : slots_) {
      s.meta_host = make_pinned(meta);
      s.meta_device = make_device(meta);
      s.encoded.reserve(meta_capacity_);
      counter.add(2 * meta);
    }
    outputs_.reserve(meta_capacity_);
    scratches_.resize(static_cast<std::size_t>(decoder_->lanes()));
    for (Scratch& scratch : scratches_) scratch.read = make_event_untimed();
  }
#endif
  std::byte* slot_memory(int slot) override { return static_cast<std::byte*>(slot_at(slot).memory.get()); }
  const std::int64_t* slot_labels(int slot) override {
    return static_cast<const std::int64_t*>(slot_at(slot).labels.get());
  }

  std::shared_ptr<std::byte> allocate_pinned(std::size_t bytes, MemoryCounter& counter) override {
    PinnedBuffer pinned;
    run_bound_to(pinned_cpus_, [&] {
      FG_CUDA(cudaSetDevice(device_));
      pinned = make_pinned(bytes);
    });
    auto owner = std::make_shared<PinnedBuffer>(std::move(pinned));
    counter.add(bytes);
    return std::shared_ptr<std::byte>(owner, static_cast<std::byte*>(owner->get()));
  }

  void start(CompletionSink& sink) override {
    sink_ = &sink;
    // Waiting for the origin event once places the GPU clock on the host's: the graph starts its own clock
    // right after this returns, and every GPU time is (event - origin) on that clock.
    FG_CUDA(cudaEventRecord(origin_event_.get(), compute_stream_.get()));
    FG_CUDA(cudaEventSynchronize(origin_event_.get()));
  }

  void copy(int slot, const std::byte* src, std::size_t bytes, std::span<const std::int64_t> labels,
            std::span<const EncodedSample> encoded, CopyMode mode) override {
    auto& s = slot_at(slot);
    // A ragged batch: the slot keeps where its files lie for the decode (the slot is free, so this is safe).
    s.encoded.assign(encoded.begin(), encoded.end());
#if FEEDGRAPH_HAVE_NVJPEG
    // The files nvJPEG decodes from the host (all of them with `hybrid`; else those no device-input decoder
    // takes, such as progressive ones): a copy of each, since the page-locked slot they cross from is reused
    // once the copy is done.
    if (decoder_) keep_host_copies(s, src);
#endif
    cudaStream_t stream = mode.own_stream ? copy_stream_.get() : compute_stream_.get();
    s.copy_on_compute_stream = !mode.own_stream;
    std::memcpy(s.labels_host.get(), labels.data(), labels.size_bytes());
    // A consumer that pulled the slot's last batch may still be reading it on its own stream: the copy waits
    // for that on the device (the event its release recorded), never on the host.
    const int releases = s.releases.exchange(0, std::memory_order_acq_rel);
    for (int i = 0; i < releases; ++i) FG_CUDA(cudaStreamWaitEvent(stream, s.released[static_cast<std::size_t>(i)].get(), 0));
    FG_CUDA(cudaEventRecord(s.copy_begin.get(), stream));
    FG_CUDA(cudaMemcpyAsync(s.memory.get(), src, bytes, cudaMemcpyHostToDevice, stream));
    if (!labels.empty())
      FG_CUDA(cudaMemcpyAsync(s.labels.get(), s.labels_host.get(), labels.size_bytes(), cudaMemcpyHostToDevice, stream));
    FG_CUDA(cudaEventRecord(s.copy_end.get(), stream));
    if (mode.blocking) {
      // non_blocking: false is PyTorch's `x.to(device)`: an async copy on the current stream, then a wait
      // for that stream, which also waits for every kernel queued before the copy.
      const cudaError_t status = cudaStreamSynchronize(stream);
      sink_->on_complete(Op::copy, slot, static_cast<int>(status), nullptr);
      return;
    }
    FG_CUDA(cudaStreamWaitEvent(copy_notify_.get(), s.copy_end.get(), 0));
    FG_CUDA(cudaStreamAddCallback(copy_notify_.get(), &on_stream_done, &s.on_copy, 0));
  }

  void compute(int slot, ComputeStage& stage, DeviceBatchView batch, const DeviceTransform* transform,
               bool verify) override {
    auto& s = slot_at(slot);
    cudaStream_t stream = compute_stream_.get();
    // A device-side wait: the compute stream holds back until the copy has landed; the host goes on.
    if (!s.copy_on_compute_stream) FG_CUDA(cudaStreamWaitEvent(stream, s.copy_end.get(), 0));
    FG_CUDA(cudaEventRecord(s.compute_begin.get(), stream));
    // `faults:`: a slow consumer's extra time counts as compute time; a trap faults the stream here.
    if (s.fault_delay_s > 0) enqueue_wait(stream, s.fault_delay_s);
    if (s.fault_trap) enqueue_trap(stream);
    s.fault_delay_s = 0;
    s.fault_trap = false;
    auto* cell = static_cast<std::uint64_t*>(checksum_device_.get()) + 2 * slot;  // [compared, the stage's own]
    FG_CUDA(cudaMemsetAsync(cell, 0, 2 * sizeof(std::uint64_t), stream));
    if (transform && transform->active()) {
      auto* out = static_cast<std::byte*>(s.transformed.get());
      if (transform->decode) {
        decode_batch(s, batch, *transform, out, verify ? cell : nullptr, stream);
      } else {
        // verify compares the bytes that crossed the link: checksum them before they are transformed.
        enqueue_device_checksum(batch, cell, stream);
        enqueue_device_transform(*transform, batch.data, out, batch.samples, stream);
      }
      DeviceBatchView view = batch;
      view.data = out;
      view.bytes = static_cast<std::size_t>(batch.samples) * transform->out.bytes();
      view.layout = transform->out;
      stage.launch(ComputeLaunch{BackendKind::cuda, view, cell + 1, stream, false});
    } else {
      stage.launch(ComputeLaunch{BackendKind::cuda, batch, cell, stream, verify});
    }
    FG_CUDA(cudaGetLastError());
    FG_CUDA(cudaMemcpyAsync(static_cast<std::uint64_t*>(checksum_host_.get()) + slot, cell, sizeof(std::uint64_t),
                            cudaMemcpyDeviceToHost, stream));
    FG_CUDA(cudaEventRecord(s.compute_end.get(), stream));
    FG_CUDA(cudaStreamWaitEvent(compute_notify_.get(), s.compute_end.get(), 0));
    FG_CUDA(cudaStreamAddCallback(compute_notify_.get(), &on_stream_done, &s.on_compute, 0));
  }
  void inject_fault(int slot, bool trap, double delay_s) override {
    auto& s = slot_at(slot);
    s.fault_trap = trap;
    s.fault_delay_s = delay_s;
  }
  CUstream_st* compute_stream() override { return compute_stream_.get(); }
  std::byte* slot_transformed(int slot) override { return static_cast<std::byte*>(slot_at(slot).transformed.get()); }

  void ready_on(int slot, CUstream_st* stream) override {
    // compute_end is recorded again only when the slot is reused, which waits for the consumer's release.
    FG_CUDA(cudaStreamWaitEvent(stream, slot_at(slot).compute_end.get(), 0));
  }
  void release_on(int slot, std::span<CUstream_st* const> streams) override {
    auto& s = slot_at(slot);
    // One event per stream: the copy that reuses the slot waits for each, and no consumer stream is made to
    // wait for another's work. A slot's events are made when a release first needs that many.
    while (s.released.size() < streams.size()) s.released.push_back(make_event_untimed());
    for (std::size_t i = 0; i < streams.size(); ++i) FG_CUDA(cudaEventRecord(s.released[i].get(), streams[i]));
    s.releases.store(static_cast<int>(streams.size()), std::memory_order_release);
  }

  SlotTimes times(int slot) override {
    auto& s = slot_at(slot);
    return SlotTimes{since_origin(s.copy_begin), since_origin(s.copy_end), since_origin(s.compute_begin),
                     since_origin(s.compute_end)};
  }
  std::uint64_t checksum(int slot) override { return static_cast<std::uint64_t*>(checksum_host_.get())[slot]; }
  std::string status_name(int status) override { return cudaGetErrorName(static_cast<cudaError_t>(status)); }
  std::string status_text(int status) override { return cudaGetErrorString(static_cast<cudaError_t>(status)); }

  void drain() noexcept override {
    // After a kernel fault these return the sticky error; nothing more can be done, and the run's error is
    // already recorded, so they only warn.
    if (copy_stream_.get()) (void)cudaStreamSynchronize(copy_stream_.get());
    if (compute_stream_.get()) (void)cudaStreamSynchronize(compute_stream_.get());
    // Then every callback has run: none can touch the sink after this returns.
    if (copy_notify_.get()) (void)cudaStreamSynchronize(copy_notify_.get());
    if (compute_notify_.get()) (void)cudaStreamSynchronize(compute_notify_.get());
  }

 private:
  struct Callback {
    CudaBackend* self = nullptr;
    int slot = 0;
    Op op = Op::copy;
  };
  struct Slot {
    DeviceBuffer memory, labels, transformed;
    PinnedBuffer labels_host;
    Event copy_begin, copy_end, compute_begin, compute_end;
    // Recorded on a pulling consumer's streams when it lets go (usually one); the next copy waits for the
    // first `releases` of them.
    std::vector<Event> released;
    std::atomic<int> releases{0};
    Callback on_copy, on_compute;
    bool copy_on_compute_stream = false;
    std::vector<EncodedSample> encoded;  // a ragged batch's files (decode on the device)
    PinnedBuffer meta_host;              // its EncodedSample and DecodedImage records, and their device copy
    DeviceBuffer meta_device;
    std::vector<std::byte> files_host;   // the files nvJPEG reads from the host, one after another
    std::vector<const std::byte*> host_files;  // per sample: its copy in files_host, or null
    bool fault_trap = false;    // `faults:` for the slot's next compute (set by the compute node, then used)
    double fault_delay_s = 0;
  };

  static void CUDART_CB on_stream_done(cudaStream_t, cudaError_t status, void* user) {
    auto* cb = static_cast<Callback*>(user);
    cb->self->sink_->on_complete(cb->op, cb->slot, static_cast<int>(status), nullptr);
  }

  Slot& slot_at(int slot) { return slots_[static_cast<std::size_t>(slot)]; }

  /// decode_jpeg on the device, enqueued on the compute stream: the checksum of the files that crossed (when
  /// `cell` is set), nvJPEG's batched decode into the decoded-image scratch, then the fused pass (resample,
  /// flip, element-wise) into `out`. A build without nvJPEG refuses such a pipeline when it is built.
  void decode_batch(Slot& s, const DeviceBatchView& batch, const DeviceTransform& t, std::byte* out,
                    std::uint64_t* cell, cudaStream_t stream) {
#if !FEEDGRAPH_HAVE_NVJPEG
    (void)s, (void)batch, (void)t, (void)out, (void)cell, (void)stream;
    throw Error(nvjpeg_unavailable(device_, "auto"));
#else
    const std::size_t n = s.encoded.size();
    if (n == 0) return;
    if (n > meta_capacity_) throw Error("a ragged batch holds more samples than the batch size");
    // Each decoded image at a 256-byte boundary of a scratch, one per decoder lane: the batches take the lanes in
    // turn, and a batch decodes while the ones before it still do. Its decode waits, on the host, for the fused
    // pass that last read its scratch, a lane's round back (NvjpegDecoder::decode says why on the host).
    std::size_t need = 0;
    for (const EncodedSample& e : s.encoded) need += decoded_image_bytes(e, t.decode->channels);
    const int lane = next_lane_;
    next_lane_ = (next_lane_ + 1) % decoder_->lanes();
    Scratch& scratch = scratches_[static_cast<std::size_t>(lane)];
    reserve_scratch(scratch, need);
    auto* encoded_host = static_cast<EncodedSample*>(s.meta_host.get());
    auto* images_host = reinterpret_cast<DecodedImage*>(encoded_host + meta_capacity_);
    auto* encoded_device = static_cast<EncodedSample*>(s.meta_device.get());
    auto* images_device = reinterpret_cast<DecodedImage*>(encoded_device + meta_capacity_);
    outputs_.clear();
    auto* pixels = static_cast<std::uint8_t*>(scratch.memory.get());
    for (std::size_t k = 0; k < n; ++k) {
      const EncodedSample& e = s.encoded[k];
      encoded_host[k] = e;
      images_host[k] = DecodedImage{pixels, e.height, e.width, e.map};
      outputs_.push_back(pixels);
      pixels += decoded_image_bytes(e, t.decode->channels);
    }
    FG_CUDA(cudaMemcpyAsync(encoded_device, encoded_host, n * sizeof(EncodedSample), cudaMemcpyHostToDevice, stream));
    FG_CUDA(cudaMemcpyAsync(images_device, images_host, n * sizeof(DecodedImage), cudaMemcpyHostToDevice, stream));
    if (cell) enqueue_ragged_checksum(batch.data, encoded_device, static_cast<std::int64_t>(n), cell, stream);
    // The lane starts once the files have landed (not after the batches before, which it overlaps).
    decoder_->decode(lane, s.encoded, batch.data, s.host_files, outputs_.data(), s.copy_end.get(), scratch.read.get(),
                     stream);
    enqueue_decoded_transform(t, images_device, static_cast<std::int64_t>(n), out, stream);
    FG_CUDA(cudaEventRecord(scratch.read.get(), stream));
#endif
  }

#if FEEDGRAPH_HAVE_NVJPEG
  /// One batch of decoded images, and an event after the fused pass that last read it.
  struct Scratch {
    DeviceBuffer memory;
    std::size_t bytes = 0;
    Event read;  // made in prepare_decode, on the backend's device
  };

  /// `scratch` holds at least `bytes`. It grows by a quarter more than asked, so that a few growths cover a
  /// dataset's largest batch; the smaller one is freed once its last reader is done.
  void reserve_scratch(Scratch& scratch, std::size_t bytes) {
    if (bytes <= scratch.bytes) return;
    const std::size_t grown = bytes + bytes / 4;
    FG_CUDA(cudaEventSynchronize(scratch.read.get()));  // at once while never recorded
    scratch.memory.reset();
    if (counter_) counter_->sub(scratch.bytes);
    scratch.bytes = 0;
    scratch.memory = make_device(grown);
    scratch.bytes = grown;
    if (counter_) counter_->add(grown);
  }

  /// Copies into `s.files_host` of the files the decoder reads from the host, from the page-locked batch `src`.
  void keep_host_copies(Slot& s, const std::byte* src) {
    s.host_files.assign(s.encoded.size(), nullptr);
    std::size_t total = 0;
    for (const EncodedSample& e : s.encoded) total += decoder_->reads_host(e) ? e.bytes : 0;
    s.files_host.resize(total);  // sized once: the pointers into it stay valid
    std::size_t at = 0;
    for (std::size_t k = 0; k < s.encoded.size(); ++k) {
      const EncodedSample& e = s.encoded[k];
      if (!decoder_->reads_host(e)) continue;
      std::memcpy(s.files_host.data() + at, src + e.offset, e.bytes);
      s.host_files[k] = s.files_host.data() + at;
      at += e.bytes;
    }
  }
#endif

  double since_origin(const Event& e) {
    float ms = 0;
    if (cudaEventElapsedTime(&ms, origin_event_.get(), e.get()) != cudaSuccess) return 0;
    return ms / 1000.0;
  }

  int device_;
  std::string name_;
  std::vector<int> pinned_cpus_;  // the GPU's NUMA node's CPUs, where it has one of several; else empty
  CompletionSink* sink_ = nullptr;
  Stream copy_stream_, compute_stream_;
  Stream copy_notify_, compute_notify_;  // carry only the completion callbacks (see the top of the file)
  Event origin_event_;
  DeviceBuffer checksum_device_;
  PinnedBuffer checksum_host_;
  std::vector<Slot> slots_;
#if FEEDGRAPH_HAVE_NVJPEG
  std::unique_ptr<NvjpegDecoder> decoder_;
  MemoryCounter* counter_ = nullptr;  // the run's, for the scratch's growth
  std::size_t meta_capacity_ = 0;
  std::vector<Scratch> scratches_;  // decoded images of a batch, one per decoder lane
  int next_lane_ = 0;
  std::vector<std::uint8_t*> outputs_;
#endif
};

}  // namespace

std::unique_ptr<Backend> make_cuda_backend(int device_index) { return std::make_unique<CudaBackend>(device_index); }

int cuda_device_count(std::string& why) {
  int n = 0;
  const cudaError_t status = cudaGetDeviceCount(&n);
  if (status != cudaSuccess) {
    why = std::string("no CUDA device answered (") + cudaGetErrorName(status) + ": " + cudaGetErrorString(status) + ")";
    (void)cudaGetLastError();
    return 0;
  }
  if (n == 0) why = "no CUDA device answered (0 devices)";
  return n;
}

std::string cuda_device_name(int index) {
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, index) != cudaSuccess) return "cuda:" + std::to_string(index);
  return prop.name;
}

}  // namespace feedgraph::detail
