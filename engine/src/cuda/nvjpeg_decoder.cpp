#include "cuda/nvjpeg_decoder.hpp"

#include <nvjpeg.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "backend/call_together.hpp"
#include "backend/device_transform.hpp"
#include "backend/live_counts.hpp"
#include "cuda/check.hpp"
#include "cuda/handles.hpp"

namespace feedgraph::detail {
namespace {

const char* status_name(nvjpegStatus_t s) {
  switch (s) {
    case NVJPEG_STATUS_SUCCESS: return "NVJPEG_STATUS_SUCCESS";
    case NVJPEG_STATUS_NOT_INITIALIZED: return "NVJPEG_STATUS_NOT_INITIALIZED";
    case NVJPEG_STATUS_INVALID_PARAMETER: return "NVJPEG_STATUS_INVALID_PARAMETER";
    case NVJPEG_STATUS_BAD_JPEG: return "NVJPEG_STATUS_BAD_JPEG";
    case NVJPEG_STATUS_JPEG_NOT_SUPPORTED: return "NVJPEG_STATUS_JPEG_NOT_SUPPORTED";
    case NVJPEG_STATUS_ALLOCATOR_FAILURE: return "NVJPEG_STATUS_ALLOCATOR_FAILURE";
    case NVJPEG_STATUS_EXECUTION_FAILED: return "NVJPEG_STATUS_EXECUTION_FAILED";
    case NVJPEG_STATUS_ARCH_MISMATCH: return "NVJPEG_STATUS_ARCH_MISMATCH";
    case NVJPEG_STATUS_INTERNAL_ERROR: return "NVJPEG_STATUS_INTERNAL_ERROR";
    case NVJPEG_STATUS_IMPLEMENTATION_NOT_SUPPORTED: return "NVJPEG_STATUS_IMPLEMENTATION_NOT_SUPPORTED";
    case NVJPEG_STATUS_INCOMPLETE_BITSTREAM: return "NVJPEG_STATUS_INCOMPLETE_BITSTREAM";
  }
  return "NVJPEG_STATUS_UNKNOWN";
}

std::string failed(const char* call, nvjpegStatus_t s) {
  return std::string(call) + " failed: " + status_name(s) + " (" + std::to_string(static_cast<int>(s)) + ")";
}

/// One nvJPEG backend's library handle, shared by every lane's state (nvJPEG's handles are thread-safe).
class Library {
 public:
  explicit Library(nvjpegBackend_t backend) {
    // The engines by default pipeline a batch's decode into the next call, so a batch's pixels would wait
    // for the batch after it (and a loop's stream, waiting for this batch, for the next call): each call
    // here decodes its own batch, in stream order.
    const unsigned flags = backend == NVJPEG_BACKEND_HARDWARE_DEVICE ? NVJPEG_FLAGS_HW_DECODE_NO_PIPELINE : NVJPEG_FLAGS_DEFAULT;
    const nvjpegStatus_t s = nvjpegCreateEx(backend, nullptr, nullptr, flags, &handle_);
    if (s != NVJPEG_STATUS_SUCCESS) {
      handle_ = nullptr;
      throw Error(failed("nvjpegCreateEx", s));
    }
    count_up(Counted::cuda_handle);
  }
  ~Library() {
    (void)nvjpegDestroy(handle_);
    count_down(Counted::cuda_handle);
  }
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;
  nvjpegHandle_t get() const { return handle_; }

 private:
  nvjpegHandle_t handle_ = nullptr;
};

/// A batched-decode state of one Library, initialized for the batch size last used. One per lane: a state
/// serves one batch at a time.
class State {
 public:
  State(const Library& library, nvjpegOutputFormat_t format) : handle_(library.get()), format_(format) {
    const nvjpegStatus_t s = nvjpegJpegStateCreate(handle_, &state_);
    if (s != NVJPEG_STATUS_SUCCESS) throw Error(failed("nvjpegJpegStateCreate", s));
    count_up(Counted::cuda_handle);
  }
  ~State() {
    (void)nvjpegJpegStateDestroy(state_);
    count_down(Counted::cuda_handle);
  }
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  /// nvjpegDecodeBatched over `count` files; a failure leaves the state to be initialized again.
  nvjpegStatus_t decode(int count, const unsigned char* const* data, const std::size_t* lengths,
                        nvjpegImage_t* destinations, cudaStream_t stream) {
    if (initialized_for_ != count) {
      const nvjpegStatus_t s = nvjpegDecodeBatchedInitialize(handle_, state_, count, 1, format_);
      if (s != NVJPEG_STATUS_SUCCESS) return s;
      initialized_for_ = count;
    }
    const nvjpegStatus_t s = nvjpegDecodeBatched(handle_, state_, data, lengths, destinations, stream);
    if (s != NVJPEG_STATUS_SUCCESS) initialized_for_ = 0;  // "also used to reset failed batches"
    return s;
  }

 private:
  nvjpegHandle_t handle_;
  nvjpegOutputFormat_t format_;
  nvjpegJpegState_t state_ = nullptr;
  int initialized_for_ = 0;
};

/// How many decode engines nvJPEG finds on the current device (0: none, or no hardware backend).
unsigned hardware_engines() {
  nvjpegHandle_t h = nullptr;
  if (nvjpegCreateEx(NVJPEG_BACKEND_HARDWARE_DEVICE, nullptr, nullptr, NVJPEG_FLAGS_DEFAULT, &h) != NVJPEG_STATUS_SUCCESS)
    return 0;
  unsigned engines = 0, cores = 0;
  if (nvjpegGetHardwareDecoderInfo(h, &engines, &cores) != NVJPEG_STATUS_SUCCESS) engines = 0;
  (void)nvjpegDestroy(h);
  return engines;
}

/// hardware_engines() of device `device`, asked once per process.
unsigned engines_of(int device) {
  static std::mutex mutex;
  static std::map<int, unsigned> known;
  std::lock_guard lock(mutex);
  if (const auto it = known.find(device); it != known.end()) return it->second;
  int previous = 0;
  FG_CUDA(cudaGetDevice(&previous));
  FG_CUDA(cudaSetDevice(device));
  const unsigned engines = hardware_engines();
  FG_CUDA_NOTHROW(cudaSetDevice(previous));
  return known[device] = engines;
}

std::string device_label(int device) {
  cudaDeviceProp prop{};
  return cudaGetDeviceProperties(&prop, device) == cudaSuccess ? std::string(prop.name) : "cuda:" + std::to_string(device);
}

}  // namespace

std::string nvjpeg_unavailable(int device, const std::string& backend) {
  if (backend == "hardware" && engines_of(device) == 0)
    return device_label(device) + " has no JPEG decode engine that nvJPEG can use: backend: cuda decodes on its SMs "
                                  "(auto picks the engines where a GPU has them)";
  return "";
}

/// The files of one decoder's share of a batch, in nvjpegDecodeBatched's arrays.
struct Share {
  std::vector<const unsigned char*> data;
  std::vector<std::size_t> lengths;
  std::vector<nvjpegImage_t> destinations;

  void clear() {
    data.clear();
    lengths.clear();
    destinations.clear();
  }
  void reserve(std::size_t n) {
    data.reserve(n);
    lengths.reserve(n);
    destinations.reserve(n);
  }
  void add(const unsigned char* file, std::size_t bytes, const nvjpegImage_t& out) {
    data.push_back(file);
    lengths.push_back(bytes);
    destinations.push_back(out);
  }
  /// File k of `from`.
  void add(const Share& from, std::size_t k) { add(from.data[k], from.lengths[k], from.destinations[k]); }
  bool empty() const { return data.empty(); }
  nvjpegStatus_t decode_with(State& state, cudaStream_t stream) {
    return state.decode(static_cast<int>(data.size()), data.data(), lengths.data(), destinations.data(), stream);
  }
};

/// Which decoder takes a file.
enum class Route : unsigned char { engines, sms, host };

/// A part of the engines' share of a batch, submitted from a thread of its own: a state and a stream.
struct EnginePart {
  EnginePart(const Library& library, nvjpegOutputFormat_t format)
      : state(library, format), stream(make_stream()), done(make_event_untimed()) {}
  State state;
  Stream stream;
  Event done;
  Share files;
  nvjpegStatus_t status = NVJPEG_STATUS_SUCCESS;  // of its last call
};

/// What decodes one batch while the batches before it may still be decoding: the engines' parts, and a state
/// of the SMs' and the host-input decoders on a stream of their own (`side`), so that none waits for another.
struct Lane {
  std::vector<std::unique_ptr<EnginePart>> parts;  // a part holds an nvJPEG state, which does not move
  std::optional<State> sms, host;
  Stream side;
  Event side_done;

  State& state(Route r) { return r == Route::engines ? parts.front()->state : r == Route::sms ? *sms : *host; }
};

struct NvjpegDecoder::Impl {
  // engines: the decode engines, reading device memory; sms: the SMs, reading device memory; host: the SMs
  // (and the CPU for Huffman decoding), reading host copies. Each is there only where some file can go to it.
  std::optional<Library> engines, sms, host;
  std::vector<std::unique_ptr<Lane>> lanes;  // a Lane holds nvJPEG states, which do not move
  std::optional<CallTogether> callers;       // the engines' parts' threads, with the engines
  std::string name;
  std::int64_t channels = 3;
  double hardware_load = 1.0;
  bool all_from_host = false;  // hybrid
  Share all;  // every file of the batch, in its order, where its decoder reads it
  Share shares[3];
  std::vector<Route> routes;

  Share& share(Route r) { return shares[static_cast<int>(r)]; }
};

NvjpegDecoder::NvjpegDecoder(int device, const std::string& backend, std::int64_t channels, std::int64_t batch_size,
                             double hardware_load, int lanes, int hardware_threads)
    : impl_(std::make_unique<Impl>()) {
  if (channels != 1 && channels != 3) throw Error("decode_jpeg on the device writes 1 or 3 channels");
  if (!(hardware_load >= 0.0 && hardware_load <= 1.0)) throw Error("decode_jpeg: hardware_load must be within 0..1");
  if (lanes < 1) throw Error("decode_jpeg: lanes must be >= 1");
  if (hardware_threads < 1) throw Error("decode_jpeg: hardware_threads must be >= 1");
  FG_CUDA(cudaSetDevice(device));
  Impl& m = *impl_;
  m.channels = channels;
  const nvjpegOutputFormat_t format = channels == 3 ? NVJPEG_OUTPUT_RGBI : NVJPEG_OUTPUT_Y;
  const unsigned engines = backend == "auto" || backend == "hardware" ? engines_of(device) : 0;
  if (backend == "hardware" && engines == 0) throw Error(nvjpeg_unavailable(device, backend));
  // NVJPEG_BACKEND_HYBRID reads host memory and takes every JPEG nvJPEG decodes: the files no device-input
  // decoder takes, or with `hybrid` all of them.
  m.host.emplace(NVJPEG_BACKEND_HYBRID);
  if (backend == "hybrid") {
    m.all_from_host = true;
    m.name = "hybrid";
  } else {
    m.sms.emplace(NVJPEG_BACKEND_GPU_HYBRID_DEVICE);
    m.name = "cuda";
  }
  if (engines > 0) {
    m.engines.emplace(NVJPEG_BACKEND_HARDWARE_DEVICE);
    m.hardware_load = hardware_load;
    m.name = "hardware (" + std::to_string(engines) + " engines)";
    if (hardware_load < 1.0)
      m.name += " + cuda (" + std::to_string(static_cast<int>(100.0 * (1.0 - hardware_load) + 0.5)) + "% of files)";
  }
  for (int k = 0; k < lanes; ++k) {
    Lane& lane = *m.lanes.emplace_back(std::make_unique<Lane>());
    lane.host.emplace(*m.host, format);
    if (m.sms) lane.sms.emplace(*m.sms, format);
    for (int p = 0; m.engines && p < hardware_threads; ++p)
      lane.parts.push_back(std::make_unique<EnginePart>(*m.engines, format));
    lane.side = make_stream();
    lane.side_done = make_event_untimed();
  }
  // A new thread's current device is device 0 until it is told otherwise.
  if (m.engines) m.callers.emplace(hardware_threads - 1, "fg-nvjpeg", [device] { FG_CUDA(cudaSetDevice(device)); });
  const auto n = static_cast<std::size_t>(batch_size);
  m.all.reserve(n);
  for (Share& share : m.shares) share.reserve(n);
  m.routes.reserve(n);
}

NvjpegDecoder::~NvjpegDecoder() = default;

const std::string& NvjpegDecoder::name() const { return impl_->name; }

bool NvjpegDecoder::reads_host(const EncodedSample& e) const {
  return impl_->all_from_host || !(e.suits_sms || (e.suits_hardware && impl_->engines));
}

int NvjpegDecoder::lanes() const { return static_cast<int>(impl_->lanes.size()); }

void NvjpegDecoder::decode(int lane_index, std::span<const EncodedSample> samples, const std::byte* device_files,
                           std::span<const std::byte* const> host_files, std::uint8_t* const* outputs,
                           cudaEvent_t inputs_ready, cudaEvent_t outputs_free, cudaStream_t stream) {
  Impl& m = *impl_;
  if (samples.empty()) return;
  if (lane_index < 0 || lane_index >= lanes()) throw Error("decode_jpeg on the device: no such lane");
  Lane& lane = *m.lanes[static_cast<std::size_t>(lane_index)];
  const std::size_t n = samples.size();
  m.all.clear();
  for (Share& share : m.shares) share.clear();
  m.routes.clear();
  std::size_t suited = 0;
  for (const EncodedSample& e : samples) suited += e.suits_hardware ? 1 : 0;
  // The engines take their share (hardware_load) of the files they can decode, the first ones; the SMs the
  // rest of those they can read from device memory; the host copies go to the host-input decoder. A file
  // only the engines read (restart intervals) stays with them beyond their share.
  const auto to_engines = m.engines ? static_cast<std::size_t>(static_cast<double>(suited) * m.hardware_load + 0.5) : 0;
  std::size_t taken = 0;
  for (std::size_t k = 0; k < n; ++k) {
    const EncodedSample& e = samples[k];
    Route route = Route::host;
    if (!reads_host(e)) {
      const bool engines = m.engines && e.suits_hardware && (taken < to_engines || !e.suits_sms);
      route = engines ? Route::engines : Route::sms;
      taken += engines ? 1 : 0;
    }
    const std::byte* file =
        route != Route::host ? device_files + e.offset : k < host_files.size() ? host_files[k] : nullptr;
    if (file == nullptr) throw Error("decode_jpeg on the device: no host copy of a file the device cannot read");
    nvjpegImage_t out{};
    // RGBI and Y both write one plane: interleaved RGB, or luma alone.
    out.channel[0] = outputs[k];
    out.pitch[0] = static_cast<std::size_t>(e.width * m.channels);
    m.all.add(reinterpret_cast<const unsigned char*>(file), static_cast<std::size_t>(e.bytes), out);
    m.share(route).add(m.all, k);
    m.routes.push_back(route);
  }

  // The outputs' last reader is waited for here, on the host, before anything is submitted: the engines write
  // a batch's pixels when nvjpegDecodeBatched is called, not when the stream reaches it, and on the H100 a
  // decode on the SMs once wrote under a reader its stream was waiting for (bench/RESULTS.md, session 20). A
  // wait on the device would rest on an order nvJPEG does not keep; on the host it cannot be missed. In the
  // graph the reader is the fused pass a round of the lanes back, most often done by now.
  if (outputs_free != nullptr) FG_CUDA(cudaEventSynchronize(outputs_free));
  // The lane's streams start once the inputs are ready, not after what `stream` holds: that may be the decode
  // of the batches before, which this one overlaps. The SMs' and the host copies' shares are submitted first,
  // on `side`; then the engines' parts at once, each from a thread of its own (a call returns only once the
  // engines are done with it), while the SMs decode. `stream` goes on once every share is done.
  if (inputs_ready == nullptr) {
    FG_CUDA(cudaEventRecord(lane.side_done.get(), stream));
    inputs_ready = lane.side_done.get();
  }
  FG_CUDA(cudaStreamWaitEvent(lane.side.get(), inputs_ready, 0));
  nvjpegStatus_t status = NVJPEG_STATUS_SUCCESS;
  for (const Route route : {Route::sms, Route::host}) {
    Share& share = m.share(route);
    if (share.empty()) continue;
    const nvjpegStatus_t s = share.decode_with(lane.state(route), lane.side.get());
    if (status == NVJPEG_STATUS_SUCCESS) status = s;
  }
  const Share& engines = m.share(Route::engines);
  int parts = 0;
  if (!engines.empty()) {
    // Contiguous parts of near-equal size, no more parts than files.
    parts = static_cast<int>(std::min(lane.parts.size(), engines.data.size()));
    const std::size_t each = engines.data.size() / static_cast<std::size_t>(parts);
    const std::size_t extra = engines.data.size() % static_cast<std::size_t>(parts);
    std::size_t at = 0;
    for (int p = 0; p < parts; ++p) {
      EnginePart& part = *lane.parts[static_cast<std::size_t>(p)];
      part.files.clear();
      const std::size_t count = each + (static_cast<std::size_t>(p) < extra ? 1 : 0);
      for (std::size_t k = at; k < at + count; ++k) part.files.add(engines, k);
      at += count;
      FG_CUDA(cudaStreamWaitEvent(part.stream.get(), inputs_ready, 0));
    }
    m.callers->run(parts, [&](int p) {
      EnginePart& part = *lane.parts[static_cast<std::size_t>(p)];
      part.status = part.files.decode_with(part.state, part.stream.get());
    });
    for (int p = 0; p < parts && status == NVJPEG_STATUS_SUCCESS; ++p) status = lane.parts[static_cast<std::size_t>(p)]->status;
  }
  // Where the fallback below runs, after every share: the first engine part's stream, else `side`.
  cudaStream_t last = parts > 0 ? lane.parts.front()->stream.get() : lane.side.get();
  auto join = [&] {
    for (int p = 0; p < parts; ++p) {
      EnginePart& part = *lane.parts[static_cast<std::size_t>(p)];
      FG_CUDA(cudaEventRecord(part.done.get(), part.stream.get()));
      FG_CUDA(cudaStreamWaitEvent(stream, part.done.get(), 0));
    }
    FG_CUDA(cudaEventRecord(lane.side_done.get(), lane.side.get()));
    FG_CUDA(cudaStreamWaitEvent(stream, lane.side_done.get(), 0));
  };
  if (status != NVJPEG_STATUS_SUCCESS) {
    // Refused: maybe by the engines alone (a file the marker check let through), else a damaged file. Each
    // file then goes on its own, after the shares, to the SMs where they read it, else its own decoder, so
    // that the error names the file.
    join();
    FG_CUDA(cudaEventRecord(lane.side_done.get(), stream));
    FG_CUDA(cudaStreamWaitEvent(last, lane.side_done.get(), 0));
    for (std::size_t k = 0; k < n; ++k) {
      const Route route = m.routes[k] == Route::engines && samples[k].suits_sms ? Route::sms : m.routes[k];
      const nvjpegStatus_t one = lane.state(route).decode(1, &m.all.data[k], &m.all.lengths[k], &m.all.destinations[k], last);
      if (one != NVJPEG_STATUS_SUCCESS) {
        join();
        throw DeviceDecodeError(k, "decode_jpeg on the device (nvJPEG " + m.name + "): " + failed("nvjpegDecodeBatched", one));
      }
    }
    // Each file decoded on its own: the batch is done, one file at a time.
  }
  join();
}

}  // namespace feedgraph::detail
