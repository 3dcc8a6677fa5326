#pragma once
// nvJPEG's batched decode of a ragged batch (decode_jpeg in device_transforms), one decoder per pipeline,
// created once before the graph starts and driven by the compute node alone.
//
// Why the *_DEVICE backends: nvJPEG's batched decode reads the files from device memory with
// NVJPEG_BACKEND_HARDWARE_DEVICE and NVJPEG_BACKEND_GPU_HYBRID_DEVICE, and the files are already there: they
// crossed in the batch's own H2D copy, into the slot the compute reads. The page-locked slot they crossed from
// is free again by then, and nothing is copied twice. `hybrid` (Huffman decoding on the host's CPU, quickest
// for small images on a GPU without decode engines) reads host memory: the backend keeps a host copy for it.
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
  /// hybrid: decode() reads the files from host memory.
  bool reads_host() const;

  /// Enqueue on `stream` the decode of `samples`, each from `files` + offset (device memory, or host memory
  /// when reads_host()), into `outputs[k]` (HWC uint8, rows of width x channels bytes). Files the decode
  /// engines do not take (suits_hardware false) are decoded on the SMs, beside the engines' share. Throws
  /// DeviceDecodeError naming the first sample nvJPEG refuses; the decoder is reset, and the next batch
  /// decodes as if nothing had happened.
  void decode(std::span<const EncodedSample> samples, const std::byte* files, std::uint8_t* const* outputs,
              cudaStream_t stream);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace feedgraph::detail
