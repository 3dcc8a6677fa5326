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

struct NvjpegDecoder::Impl {
  std::optional<Engine> primary, sms;  // sms: the SMs' decoder beside the engines, for files they do not take
  std::string name;
  std::int64_t channels = 3;
  bool reads_host = false;
  std::vector<const unsigned char*> data;
  std::vector<std::size_t> lengths;
  std::vector<nvjpegImage_t> destinations;
};

NvjpegDecoder::NvjpegDecoder(int device, const std::string& backend, std::int64_t channels, std::int64_t batch_size)
    : impl_(std::make_unique<Impl>()) {
  if (channels != 1 && channels != 3) throw Error("decode_jpeg on the device writes 1 or 3 channels");
  FG_CUDA(cudaSetDevice(device));
  impl_->channels = channels;
  const nvjpegOutputFormat_t format = channels == 3 ? NVJPEG_OUTPUT_RGBI : NVJPEG_OUTPUT_Y;
  const unsigned engines = backend == "auto" || backend == "hardware" ? engines_of(device) : 0;
  if (backend == "hardware" && engines == 0) throw Error(nvjpeg_unavailable(device, backend));
  if (engines > 0) {
    impl_->primary.emplace(NVJPEG_BACKEND_HARDWARE_DEVICE, format);
    impl_->sms.emplace(NVJPEG_BACKEND_GPU_HYBRID_DEVICE, format);
    impl_->name = "hardware (" + std::to_string(engines) + " engines)";
  } else if (backend == "hybrid") {
    impl_->primary.emplace(NVJPEG_BACKEND_HYBRID, format);
    impl_->name = "hybrid";
    impl_->reads_host = true;
  } else {
    impl_->primary.emplace(NVJPEG_BACKEND_GPU_HYBRID_DEVICE, format);
    impl_->name = "cuda";
  }
  const auto n = static_cast<std::size_t>(batch_size);
  impl_->data.reserve(n);
  impl_->lengths.reserve(n);
  impl_->destinations.reserve(n);
}

NvjpegDecoder::~NvjpegDecoder() = default;

const std::string& NvjpegDecoder::name() const { return impl_->name; }
bool NvjpegDecoder::reads_host() const { return impl_->reads_host; }

void NvjpegDecoder::decode(std::span<const EncodedSample> samples, const std::byte* files, std::uint8_t* const* outputs,
                           cudaStream_t stream) {
  Impl& m = *impl_;
  if (samples.empty()) return;
  const std::size_t n = samples.size();
  m.data.resize(n);
  m.lengths.resize(n);
  m.destinations.assign(n, nvjpegImage_t{});
  bool all_suit = true;
  for (std::size_t k = 0; k < n; ++k) {
    const EncodedSample& e = samples[k];
    m.data[k] = reinterpret_cast<const unsigned char*>(files + e.offset);
    m.lengths[k] = static_cast<std::size_t>(e.bytes);
    // RGBI and Y both write one plane: interleaved RGB, or luma alone.
    m.destinations[k].channel[0] = outputs[k];
    m.destinations[k].pitch[0] = static_cast<std::size_t>(e.width * m.channels);
    all_suit = all_suit && e.suits_hardware;
  }
  // The engines take whole batches of what they can decode; a batch with anything else goes to the SMs.
  Engine& first = m.sms && !all_suit ? *m.sms : *m.primary;
  nvjpegStatus_t status = first.decode(static_cast<int>(n), m.data.data(), m.lengths.data(), m.destinations.data(), stream);
  if (status == NVJPEG_STATUS_SUCCESS) return;
  // Refused: maybe by the engines alone (a file the marker check let through), else a damaged file. The SMs
  // try the batch, then each file on its own, so that the error names the file.
  Engine& fallback = m.sms ? *m.sms : *m.primary;
  if (&fallback != &first) {
    status = fallback.decode(static_cast<int>(n), m.data.data(), m.lengths.data(), m.destinations.data(), stream);
    if (status == NVJPEG_STATUS_SUCCESS) return;
  }
  for (std::size_t k = 0; k < n; ++k) {
    const nvjpegStatus_t one = fallback.decode(1, &m.data[k], &m.lengths[k], &m.destinations[k], stream);
    if (one != NVJPEG_STATUS_SUCCESS)
      throw DeviceDecodeError(k, "decode_jpeg on the device (nvJPEG " + m.name + "): " + failed("nvjpegDecodeBatched", one));
  }
  // Each file decoded on its own: the batch is done, one file at a time.
}

}  // namespace feedgraph::detail
