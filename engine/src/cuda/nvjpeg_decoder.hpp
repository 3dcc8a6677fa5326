#pragma once
// nvJPEG's batched decode of a ragged batch (decode_jpeg in device_transforms), one decoder per pipeline,
// created once before the graph starts and driven by the compute node alone.
//
// Why the *_DEVICE backends: nvJPEG's batched decode reads the files from device memory with
// NVJPEG_BACKEND_HARDWARE_DEVICE and NVJPEG_BACKEND_GPU_HYBRID_DEVICE, and the files are already there: they
// crossed in the batch's own H2D copy, into the slot the compute reads. The page-locked slot they crossed from
// is free again by then, and nothing is copied twice. Those two take baseline single-scan files only
// (jpeg_device_input); any other file (progressive, say), and every file with `hybrid` (Huffman decoding on
// the host's CPU, quickest for small images on a GPU without decode engines), is decoded from a host copy
// that the backend keeps of it (reads_host).
//
// Why the caller must not hand the engines memory that queued work still reads: the decode engines write a
// batch's pixels when nvjpegDecodeBatched is called, not when `stream` reaches the call (reported for the H100
// with nvJPEG 12.3 to 13.2 in meta-pytorch/torchcodec#1634); the SMs' decoders keep stream order.
#include <cuda_runtime_api.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "backend/encoded_batch.hpp"

namespace feedgraph::detail {

class NvjpegDecoder {
 public:
  /// `backend`: auto (the decode engines where the GPU has them, else the SMs) | hardware | cuda | hybrid.
  /// `channels`: 3 (RGB, interleaved) or 1 (luma). `hardware_load` (0..1): with the engines, the share of a
  /// batch's files they take; the SMs decode the rest at the same time, on a stream of their own (1: the
  /// engines alone). Throws Error when nvJPEG cannot be set up as asked.
  NvjpegDecoder(int device, const std::string& backend, std::int64_t channels, std::int64_t batch_size,
                double hardware_load = 1.0);
  ~NvjpegDecoder();
  NvjpegDecoder(const NvjpegDecoder&) = delete;
  NvjpegDecoder& operator=(const NvjpegDecoder&) = delete;

  /// "hardware (7 engines)", "hardware (7 engines) + cuda (20% of files)", "cuda" or "hybrid": what decodes.
  const std::string& name() const;
  /// Whether decode() reads `sample` from a host copy of its file: with `hybrid` every file, else a file no
  /// device-input decoder takes.
  bool reads_host(const EncodedSample& sample) const;

  /// Enqueue on `stream` the decode of `samples` into `outputs[k]` (HWC uint8, rows of width x channels bytes):
  /// file k from `device_files` + its offset, or from `host_files[k]` where reads_host(samples[k]) (unread
  /// elsewhere, may be null). The decode engines take their share of the files they can; the SMs decode the
  /// rest, and the host copies, on a stream of their own at the same time. Throws DeviceDecodeError naming the
  /// first sample nvJPEG refuses; the decoder is reset, and the next batch decodes as if nothing had happened.
  void decode(std::span<const EncodedSample> samples, const std::byte* device_files,
              std::span<const std::byte* const> host_files, std::uint8_t* const* outputs, cudaStream_t stream);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace feedgraph::detail
