#include "cuda/nvjpeg_decoder.hpp"

#include <nvjpeg.h>

#include <future>
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
  void add(const unsigned char* file, std::size_t bytes, const nvjpegImage_t& out) {
    data.push_back(file);
    lengths.push_back(bytes);
    destinations.push_back(out);
  }
  std::size_t size() const { return data.size(); }
  nvjpegStatus_t decode_with(Engine& e, cudaStream_t stream) {
    return e.decode(static_cast<int>(size()), data.data(), lengths.data(), destinations.data(), stream);
  }
};

struct NvjpegDecoder::Impl {
  std::optional<Engine> primary, sms;  // sms: the SMs' decoder beside the engines
  std::string name;
  std::int64_t channels = 3;
  bool reads_host = false;
  int device = 0;
  double hardware_load = 1.0;
  Share all, engines_share, sms_share;
  // The SMs' share, beside the engines', runs on `side`: forked from the caller's stream and joined back to it.
  Stream side;
  Event forked, joined;
};

NvjpegDecoder::NvjpegDecoder(int device, const std::string& backend, std::int64_t channels, std::int64_t batch_size,
                             double hardware_load)
    : impl_(std::make_unique<Impl>()) {
  if (channels != 1 && channels != 3) throw Error("decode_jpeg on the device writes 1 or 3 channels");
  if (!(hardware_load >= 0.0 && hardware_load <= 1.0)) throw Error("decode_jpeg: hardware_load must be within 0..1");
  FG_CUDA(cudaSetDevice(device));
  impl_->channels = channels;
  impl_->device = device;
  const nvjpegOutputFormat_t format = channels == 3 ? NVJPEG_OUTPUT_RGBI : NVJPEG_OUTPUT_Y;
  const unsigned engines = backend == "auto" || backend == "hardware" ? engines_of(device) : 0;
  if (backend == "hardware" && engines == 0) throw Error(nvjpeg_unavailable(device, backend));
  if (engines > 0) {
    impl_->primary.emplace(NVJPEG_BACKEND_HARDWARE_DEVICE, format);
    impl_->sms.emplace(NVJPEG_BACKEND_GPU_HYBRID_DEVICE, format);
    impl_->hardware_load = hardware_load;
    impl_->name = "hardware (" + std::to_string(engines) + " engines)";
    if (hardware_load < 1.0)
      impl_->name += " + cuda (" + std::to_string(static_cast<int>(100.0 * (1.0 - hardware_load) + 0.5)) + "% of files)";
    impl_->side = make_stream();
    impl_->forked = make_event_untimed();
    impl_->joined = make_event_untimed();
  } else if (backend == "hybrid") {
    impl_->primary.emplace(NVJPEG_BACKEND_HYBRID, format);
    impl_->name = "hybrid";
    impl_->reads_host = true;
  } else {
    impl_->primary.emplace(NVJPEG_BACKEND_GPU_HYBRID_DEVICE, format);
    impl_->name = "cuda";
  }
  const auto n = static_cast<std::size_t>(batch_size);
  for (Share* share : {&impl_->all, &impl_->engines_share, &impl_->sms_share}) {
    share->data.reserve(n);
    share->lengths.reserve(n);
    share->destinations.reserve(n);
  }
}

NvjpegDecoder::~NvjpegDecoder() = default;

const std::string& NvjpegDecoder::name() const { return impl_->name; }
bool NvjpegDecoder::reads_host() const { return impl_->reads_host; }

void NvjpegDecoder::decode(std::span<const EncodedSample> samples, const std::byte* files, std::uint8_t* const* outputs,
                           cudaStream_t stream) {
  Impl& m = *impl_;
  if (samples.empty()) return;
  const std::size_t n = samples.size();
  m.all.clear();
  m.engines_share.clear();
  m.sms_share.clear();
  std::size_t suited = 0;
  for (const EncodedSample& e : samples) suited += e.suits_hardware ? 1 : 0;
  // The engines take their share of the files they can decode, the first ones; the SMs the rest.
  const auto to_engines = m.sms ? static_cast<std::size_t>(static_cast<double>(suited) * m.hardware_load + 0.5) : n;
  for (std::size_t k = 0; k < n; ++k) {
    const EncodedSample& e = samples[k];
    nvjpegImage_t out{};
    // RGBI and Y both write one plane: interleaved RGB, or luma alone.
    out.channel[0] = outputs[k];
    out.pitch[0] = static_cast<std::size_t>(e.width * m.channels);
    const auto* file = reinterpret_cast<const unsigned char*>(files + e.offset);
    const auto bytes = static_cast<std::size_t>(e.bytes);
    m.all.add(file, bytes, out);
    if (m.sms) {
      const bool engines = e.suits_hardware && m.engines_share.size() < to_engines;
      (engines ? m.engines_share : m.sms_share).add(file, bytes, out);
    }
  }

  nvjpegStatus_t status = NVJPEG_STATUS_SUCCESS;
  if (!m.sms) {
    status = m.all.decode_with(*m.primary, stream);
  } else if (m.sms_share.size() == 0) {
    status = m.engines_share.decode_with(*m.primary, stream);
  } else if (m.engines_share.size() == 0) {
    status = m.sms_share.decode_with(*m.sms, stream);
  } else {
    // Both at once. `side` starts after what `stream` holds (the batch's copy, the last batch's reads of the
    // outputs), and `stream` goes on only when both shares are decoded. Each share is submitted from a thread
    // of its own: nvjpegDecodeBatched parses on the host before it launches, and either call may wait inside
    // for its own work, which would otherwise hold back the other's submission.
    FG_CUDA(cudaEventRecord(m.forked.get(), stream));
    FG_CUDA(cudaStreamWaitEvent(m.side.get(), m.forked.get(), 0));
    auto sms_submitted = std::async(std::launch::async, [&m] {
      FG_CUDA(cudaSetDevice(m.device));
      const nvjpegStatus_t s = m.sms_share.decode_with(*m.sms, m.side.get());
      FG_CUDA(cudaEventRecord(m.joined.get(), m.side.get()));
      return s;
    });
    const nvjpegStatus_t on_engines = m.engines_share.decode_with(*m.primary, stream);
    const nvjpegStatus_t on_sms = sms_submitted.get();  // a CudaError thrown there is rethrown here
    FG_CUDA(cudaStreamWaitEvent(stream, m.joined.get(), 0));
    status = on_engines != NVJPEG_STATUS_SUCCESS ? on_engines : on_sms;
  }
  if (status == NVJPEG_STATUS_SUCCESS) return;
  // Refused: maybe by the engines alone (a file the marker check let through), else a damaged file. The SMs
  // try the whole batch, then each file on its own, so that the error names the file.
  Engine& fallback = m.sms ? *m.sms : *m.primary;
  if (m.sms) {
    status = m.all.decode_with(fallback, stream);
    if (status == NVJPEG_STATUS_SUCCESS) return;
  }
  for (std::size_t k = 0; k < n; ++k) {
    const nvjpegStatus_t one = fallback.decode(1, &m.all.data[k], &m.all.lengths[k], &m.all.destinations[k], stream);
    if (one != NVJPEG_STATUS_SUCCESS)
      throw DeviceDecodeError(k, "decode_jpeg on the device (nvJPEG " + m.name + "): " + failed("nvjpegDecodeBatched", one));
  }
  // Each file decoded on its own: the batch is done, one file at a time.
}

}  // namespace feedgraph::detail
