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
// Why lanes: a batch's decode on the SMs is a chain of short steps, each waiting for the one before, so one batch
// at a time leaves most of the GPU idle (on the H100, 320x240 files: 30k images/s a batch at a time, 66k with
// three batches in flight). Each lane (a state of each backend and two streams of its own) decodes one batch;
// the next batch takes the next lane and decodes beside it.
//
// Why several threads for the engines may be asked for: nvJPEG's hardware decode holds its calling thread while
// the engines work, about 40 us an image of 320x240 on the H100. A probe that synced after every batch went from
// 23k images/s on one thread to 58k on three, each with its own part of the batch; but nvJPEG's decode alone
// without those syncs (the bench's bound) got nothing from a second thread on 500x375 files (16.7k against 22.1k),
// and the graph paid a core for it (bench/RESULTS.md, session 16). The engine's default is one thread.
//
// Why the outputs' last reader is waited for on the host, not on the device: the decode engines write a
// batch's pixels when nvjpegDecodeBatched is called, not when `stream` reaches the call (reported for the H100
// with nvJPEG 12.3 to 13.2 in meta-pytorch/torchcodec#1634), and the SMs' decoder, which should keep stream
// order, once wrote under a reader its stream waited for (the H100, nvJPEG 13.0, bench/RESULTS.md session 20).
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
  /// engines alone). `lanes`: how many batches may decode at once. `hardware_threads`: how many host threads
  /// submit the engines' share of a batch, in as many parts. Throws Error when nvJPEG cannot be set up as asked.
  NvjpegDecoder(int device, const std::string& backend, std::int64_t channels, std::int64_t batch_size,
                double hardware_load = 1.0, int lanes = 1, int hardware_threads = 1);
  ~NvjpegDecoder();
  NvjpegDecoder(const NvjpegDecoder&) = delete;
  NvjpegDecoder& operator=(const NvjpegDecoder&) = delete;

  /// "hardware (7 engines)", "hardware (7 engines) + cuda (20% of files)", "cuda" or "hybrid": what decodes.
  const std::string& name() const;
  /// Whether decode() reads `sample` from a host copy of its file: with `hybrid` every file, else a file no
  /// device-input decoder takes.
  bool reads_host(const EncodedSample& sample) const;

  int lanes() const;

  /// Decode `samples` into `outputs[k]` (HWC uint8, rows of width x channels bytes) on lane `lane`, once
  /// `inputs_ready` has completed (null: once what `stream` holds has), and make `stream` wait for it. File k
  /// is read from `device_files` + its offset, or from `host_files[k]` where reads_host(samples[k]) (unread
  /// elsewhere, may be null). The decode engines take their share of the files they can; the SMs decode the
  /// rest, and the host copies, at the same time. The caller gives each batch in flight a lane of its own.
  /// `outputs_free` (null: free now) completes once no queued work reads the outputs: the call waits for it
  /// on the host before it submits anything, so nothing is written under a reader whatever order nvJPEG
  /// keeps. Throws DeviceDecodeError naming the first sample nvJPEG refuses; the lane is
  /// reset, and the next batch decodes as if nothing had happened.
  void decode(int lane, std::span<const EncodedSample> samples, const std::byte* device_files,
              std::span<const std::byte* const> host_files, std::uint8_t* const* outputs, cudaEvent_t inputs_ready,
              cudaEvent_t outputs_free, cudaStream_t stream);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace feedgraph::detail
