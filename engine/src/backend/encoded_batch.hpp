#pragma once
// A ragged batch: encoded files (JPEG) packed one after another, each at an 8-byte boundary, crossing the
// link as read, to be decoded on the device (`device_transforms: [decode_jpeg, ...]`). Beside the bytes,
// one EncodedSample per sample says where it lies and what the device makes of it: the image's size (from
// its header, read on the host) and where each output pixel comes from (the crops' and flips' draws, made on
// the host from (seed, epoch, sample id) as the host transforms make them).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "feedgraph/errors.hpp"
#include "feedgraph/stage.hpp"

namespace feedgraph::detail {

struct EncodedSample {
  std::uint64_t offset = 0;  ///< in the packed batch: a multiple of 8 (its checksum words start at offset / 8)
  std::uint64_t bytes = 0;   ///< the file's size
  std::int64_t height = 0, width = 0;  ///< decoded, from the header
  PixelMap map;              ///< the output's pixels in the decoded image
  /// Which of nvJPEG's decoders can read the file from device memory (jpeg_device_input): the decode engines,
  /// the SMs. A file neither takes is decoded from a host copy of it.
  bool suits_hardware = false;
  bool suits_sms = false;
};

/// Where the sample after one of `bytes` bytes at `offset` starts.
constexpr std::uint64_t next_encoded_offset(std::uint64_t offset, std::uint64_t bytes) {
  return (offset + bytes + 7) & ~std::uint64_t{7};
}

/// The room one decoded image of `e` takes in a batch's decoded-image scratch: HWC uint8 with `channels`,
/// rounded up to 256 bytes so that every image starts aligned for the decoder.
constexpr std::size_t decoded_image_bytes(const EncodedSample& e, std::int64_t channels) {
  return (static_cast<std::size_t>(e.height * e.width * channels) + 255) & ~std::size_t{255};
}

/// Which of nvJPEG's device-input decoders take a JPEG file. Neither takes anything but baseline DCT (SOF0) in a
/// single interleaved scan of gray or three components: nvJPEG's manual limits NVJPEG_BACKEND_GPU_HYBRID_DEVICE
/// to "baseline JPEG images without restart intervals", and NVJPEG_BACKEND_HARDWARE_DEVICE to baseline single-scan
/// files without 4:1:1 or 4:1:0 chroma. Handed anything else (progressive, say) the SMs' decoder may hang rather
/// than refuse it, so such files are decoded from the host. Reads the markers up to the first scan's header.
struct JpegDeviceInput {
  bool engines = false;  ///< the hardware decode engines (A100/H100/H200): luma sampling at most 2x2, chroma 1x1
  bool sms = false;      ///< the SMs (nvJPEG's GPU Huffman decoder): no restart intervals
};
JpegDeviceInput jpeg_device_input(std::span<const std::byte> file);
/// `e.suits_hardware` and `e.suits_sms` from jpeg_device_input(file).
void mark_device_input(EncodedSample& e, std::span<const std::byte> file);

/// The device's decoder refused sample `index` of its batch after the host's check passed the file (a
/// damaged scan, say): the graph names the file from the index and the batch's sample ids.
class DeviceDecodeError : public Error {
 public:
  DeviceDecodeError(std::size_t index, std::string message) : Error(std::move(message)), index_(index) {}
  std::size_t index() const noexcept { return index_; }

 private:
  std::size_t index_;
};

}  // namespace feedgraph::detail
