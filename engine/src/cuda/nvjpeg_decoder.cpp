#include "cuda/nvjpeg_decoder.hpp"

#include <nvjpeg.h>

#include <map>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

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

/// One nvJPEG backend: its library handle and a batched-decode state, initialized for the batch size last used.
class Engine {
 public:
  Engine(nvjpegBackend_t backend, nvjpegOutputFormat_t format) : format_(format) {
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
    const nvjpegStatus_t t = nvjpegJpegStateCreate(handle_, &state_);
    if (t != NVJPEG_STATUS_SUCCESS) {
      state_ = nullptr;
      release();
      throw Error(failed("nvjpegJpegStateCreate", t));
    }
  }
  ~Engine() { release(); }
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  nvjpegHandle_t handle() const { return handle_; }

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
  void release() noexcept {
    if (state_) (void)nvjpegJpegStateDestroy(state_);
    if (handle_) {
      (void)nvjpegDestroy(handle_);
      count_down(Counted::cuda_handle);
    }
    state_ = nullptr;
    handle_ = nullptr;
  }

  nvjpegOutputFormat_t format_;
  nvjpegHandle_t handle_ = nullptr;
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
  nvjpegStatus_t decode_with(Engine& e, cudaStream_t stream) {
    return e.decode(static_cast<int>(data.size()), data.data(), lengths.data(), destinations.data(), stream);
  }
};

/// Which decoder takes a file.
enum class Route : unsigned char { engines, sms, host };

struct NvjpegDecoder::Impl {
  // engines: the decode engines, reading device memory; sms: the SMs, reading device memory; host: the SMs
  // (and the CPU for Huffman decoding), reading host copies. Each is there only where some file can go to it.
  std::optional<Engine> engines, sms, host;
  std::string name;
  std::int64_t channels = 3;
  double hardware_load = 1.0;
  bool all_from_host = false;  // hybrid
  Share all;  // every file of the batch, in its order, where its decoder reads it
  Share shares[3];
  std::vector<Route> routes;
  // The shares besides the engines' run on `side`: forked from the caller's stream and joined back to it.
  Stream side;
  Event forked, joined;

  Share& share(Route r) { return shares[static_cast<int>(r)]; }
  Engine& engine(Route r) { return r == Route::engines ? *engines : r == Route::sms ? *sms : *host; }
};

NvjpegDecoder::NvjpegDecoder(int device, const std::string& backend, std::int64_t channels, std::int64_t batch_size,
                             double hardware_load)
    : impl_(std::make_unique<Impl>()) {
  if (channels != 1 && channels != 3) throw Error("decode_jpeg on the device writes 1 or 3 channels");
  if (!(hardware_load >= 0.0 && hardware_load <= 1.0)) throw Error("decode_jpeg: hardware_load must be within 0..1");
  FG_CUDA(cudaSetDevice(device));
  Impl& m = *impl_;
  m.channels = channels;
  const nvjpegOutputFormat_t format = channels == 3 ? NVJPEG_OUTPUT_RGBI : NVJPEG_OUTPUT_Y;
  const unsigned engines = backend == "auto" || backend == "hardware" ? engines_of(device) : 0;
  if (backend == "hardware" && engines == 0) throw Error(nvjpeg_unavailable(device, backend));
  // NVJPEG_BACKEND_HYBRID reads host memory and takes every JPEG nvJPEG decodes: the files no device-input
  // decoder takes, or with `hybrid` all of them.
  m.host.emplace(NVJPEG_BACKEND_HYBRID, format);
  if (backend == "hybrid") {
    m.all_from_host = true;
    m.name = "hybrid";
  } else {
    m.sms.emplace(NVJPEG_BACKEND_GPU_HYBRID_DEVICE, format);
    m.name = "cuda";
  }
  if (engines > 0) {
    m.engines.emplace(NVJPEG_BACKEND_HARDWARE_DEVICE, format);
    m.hardware_load = hardware_load;
    m.name = "hardware (" + std::to_string(engines) + " engines)";
    if (hardware_load < 1.0)
      m.name += " + cuda (" + std::to_string(static_cast<int>(100.0 * (1.0 - hardware_load) + 0.5)) + "% of files)";
  }
  if (!m.all_from_host) {
    m.side = make_stream();
    m.forked = make_event_untimed();
    m.joined = make_event_untimed();
  }
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

void NvjpegDecoder::decode(std::span<const EncodedSample> samples, const std::byte* device_files,
                           std::span<const std::byte* const> host_files, std::uint8_t* const* outputs,
                           cudaStream_t stream) {
  Impl& m = *impl_;
  if (samples.empty()) return;
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

  // The engines' share on `stream`, submitted first: the call returns once the engines have it, and the other
  // shares are submitted while they decode. The others run on `side`, which starts after what `stream` holds
  // (the batch's copy, the last batch's reads of the outputs); `stream` goes on once every share is decoded.
  const int nonempty = static_cast<int>(!m.share(Route::engines).empty()) + static_cast<int>(!m.share(Route::sms).empty()) +
                       static_cast<int>(!m.share(Route::host).empty());
  const bool forked = nonempty > 1;
  cudaStream_t others = stream;
  if (forked) {
    FG_CUDA(cudaEventRecord(m.forked.get(), stream));
    FG_CUDA(cudaStreamWaitEvent(m.side.get(), m.forked.get(), 0));
    others = m.side.get();
  }
  nvjpegStatus_t status = NVJPEG_STATUS_SUCCESS;
  for (const Route route : {Route::engines, Route::sms, Route::host}) {
    Share& share = m.share(route);
    if (share.empty()) continue;
    const nvjpegStatus_t s = share.decode_with(m.engine(route), route == Route::engines ? stream : others);
    if (status == NVJPEG_STATUS_SUCCESS) status = s;
  }
  if (forked) {
    FG_CUDA(cudaEventRecord(m.joined.get(), m.side.get()));
    FG_CUDA(cudaStreamWaitEvent(stream, m.joined.get(), 0));
  }
  if (status == NVJPEG_STATUS_SUCCESS) return;
  // Refused: maybe by the engines alone (a file the marker check let through), else a damaged file. Each file
  // then goes on its own, on `stream`: to the SMs where they read it, else its own decoder, so that the error
  // names the file.
  for (std::size_t k = 0; k < n; ++k) {
    const Route route = m.routes[k] == Route::engines && samples[k].suits_sms ? Route::sms : m.routes[k];
    const nvjpegStatus_t one = m.engine(route).decode(1, &m.all.data[k], &m.all.lengths[k], &m.all.destinations[k], stream);
    if (one != NVJPEG_STATUS_SUCCESS)
      throw DeviceDecodeError(k, "decode_jpeg on the device (nvJPEG " + m.name + "): " + failed("nvjpegDecodeBatched", one));
  }
  // Each file decoded on its own: the batch is done, one file at a time.
}

}  // namespace feedgraph::detail
