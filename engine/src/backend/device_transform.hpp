#pragma once
// `device_transforms`: the element-wise work that runs on the GPU after the copy, so the link carries the
// compact form (uint8 HWC images are a quarter of their float32 CHW bytes).
//
// The listed transforms (cast, to_chw, normalize) are fused into one pass: each output element is
//   out[c, h, w] (or [h, w, c] without to_chw) = (float(in[h, w, c]) * scale - mean[c]) * inv_std[c]
// so the device reads each transferred byte once and writes each output element once, whatever the list.
// The host backend runs the same arithmetic on its compute thread.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "backend/encoded_batch.hpp"
#include "feedgraph/spec.hpp"
#include "feedgraph/stage.hpp"

struct CUstream_st;

namespace feedgraph::detail {

/// decode_jpeg's `lanes` where the file does not say (device_decode_options.cpp tells why three).
inline constexpr int kDefaultDecodeLanes = 3;

/// `device_transforms: [decode_jpeg, <geometry>..., <element-wise>...]`: encoded files decoded on the device,
/// then crops, resizes and flips as one resample per image, then the element-wise part below, fused.
struct DeviceDecode {
  /// decode_jpeg as the host builds it (its options): inspect() checks each file on the host before it
  /// crosses, and the host stand-in decodes with it.
  const Transform* decoder = nullptr;
  /// center_crop, random_resized_crop, resize, random_flip, in the file's order, as the host builds them: their
  /// pixel_map() draws what the host transforms would.
  std::vector<const Transform*> geometry;
  std::int64_t channels = 3;
  std::string backend = "auto";  ///< nvJPEG's: auto | hardware | cuda | hybrid
  double hardware_load = 1.0;    ///< with the decode engines: the share of each batch's files they take
  int lanes = kDefaultDecodeLanes;  ///< how many batches decode at once (NvjpegDecoder)
  int hardware_threads = 1;      ///< how many host threads submit a batch's share to the decode engines
};

/// Reads decode_jpeg's nvJPEG options (backend, hardware_load, lanes, hardware_threads; their defaults and
/// ranges live there alone) into `d`. Throws ConfigError at a value out of range, or at hardware_load or
/// hardware_threads with a backend that does not use the engines.
void read_device_decode_options(const StageOptions& o, DeviceDecode& d);

/// The decoder lanes of a pipeline that decodes on the device (0 when it does not): `lanes`, else the default.
/// A value read_device_decode_options() would refuse counts as the default here; the assembly refuses it.
/// Throws nothing.
int decode_lanes(const PipelineSpec& spec) noexcept;

struct DeviceTransform {
  std::optional<DeviceDecode> decode;  ///< set: what crossed is encoded files, `in` is the decoded crop
  SampleLayout in;   ///< what crossed the link (with decode: each image after its geometry, HWC uint8)
  SampleLayout out;  ///< what the compute stage sees
  bool to_chw = false;
  bool channels_last = true;  ///< the input's channel axis: last (HWC) or first (CHW)
  std::int64_t channels = 1, height = 1, width = 1;
  float scale = 1.0f;              ///< cast: {scale}
  std::vector<float> mean, inv_std;  ///< per channel (size `channels`)

  bool active() const { return decode || !(in == out) || to_chw || !mean.empty(); }
};

/// The names decode_jpeg on the device can be followed by before the element-wise ones.
bool is_device_geometry(const std::string& name);

/// Where each output pixel of sample `ctx` comes from in its decoded `height` x `width` image: the
/// geometry transforms' maps composed (flips mirror the window; one resample at most, checked when planned).
PixelMap compose_pixel_map(const DeviceDecode& d, std::int64_t height, std::int64_t width, const SampleContext& ctx);

/// The host reference of the fused kernel after decode: the decoded HWC uint8 image `decoded` (`height` x
/// `width` x t.decode->channels) resampled through `map` (bilinear, half-pixel centres, in float), then the
/// element-wise part, into one sample of `t.out` at `out`. The CUDA kernel computes the same, pixel for pixel.
void apply_decoded_host(const DeviceTransform& t, const std::uint8_t* decoded, std::int64_t height, std::int64_t width,
                        const PixelMap& map, std::byte* out);

/// One decoded image in device memory, for the fused pass after decode on cuda.
struct DecodedImage {
  const std::uint8_t* pixels = nullptr;  ///< HWC uint8, `width` pixels a row
  std::int64_t height = 0, width = 0;
  PixelMap map;
};

/// apply_decoded_host on the GPU for `count` images (`images` in device memory), sample k into `out` + k *
/// t.out.bytes(): the same float operations in the same order, unfused (no FMA), so the two agree bit for bit.
/// Enqueue only. Throws CudaError when the launch fails, Error in a build without CUDA.
void enqueue_decoded_transform(const DeviceTransform& t, const DecodedImage* images, std::int64_t count, std::byte* out,
                               CUstream_st* stream);

/// The checksum of a ragged batch on the GPU (feedgraph/checksum.hpp): `count` samples of `data` as
/// `samples` (device memory) says, added into `*out` (device memory). Enqueue only. Throws as above.
void enqueue_ragged_checksum(const std::byte* data, const EncodedSample* samples, std::int64_t count, std::uint64_t* out,
                             CUstream_st* stream);

/// Why decode_jpeg with nvJPEG backend `backend` (auto | hardware | cuda | hybrid) cannot run on cuda device
/// `device` ("": it can). A build without nvJPEG says so whatever is asked; `hardware` needs decode engines.
std::string nvjpeg_unavailable(int device, const std::string& backend);

/// Reads the `device_transforms` list against the layout that crosses the link; ConfigError on anything it
/// cannot do (an unknown name, a layout that is not HWC/CHW, a per-channel list of the wrong length).
DeviceTransform plan_device_transform(const std::vector<StageSpec>& specs, const SampleLayout& in);

/// The host backend's version: `samples` samples from `in` to `out`.
void apply_device_transform_host(const DeviceTransform& t, const std::byte* in, std::byte* out, std::int64_t samples);

/// The cuda version (device_transform_kernel.cu): enqueue only. Throws Error in a build without CUDA.
void enqueue_device_transform(const DeviceTransform& t, const std::byte* in, std::byte* out, std::int64_t samples,
                              CUstream_st* stream);

}  // namespace feedgraph::detail
