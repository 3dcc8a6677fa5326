#pragma once
// A stand-in for a training step, shared by the examples: it reads every byte of the batch where the batch
// is (a checksum kernel queued on the stream on cuda; the same sum on the host backend), so the examples
// run, and are tested, without a model. Replace it with your forward and backward pass.
#include <feedgraph/feedgraph.hpp>

#include <cstdint>
#include <string>
#include <vector>

#if FEEDGRAPH_HAVE_CUDA
#include <cuda_runtime_api.h>
#else
using cudaStream_t = CUstream_st*;  // what the CUDA runtime calls a stream; always null on the host backend
#endif

class TrainStep {
 public:
  TrainStep(const std::string& backend, std::int64_t batches) : cuda_(backend == "cuda"), sums_(static_cast<std::size_t>(batches)) {
#if FEEDGRAPH_HAVE_CUDA
    if (cuda_) cudaMalloc(reinterpret_cast<void**>(&device_sums_), sums_.size() * sizeof(std::uint64_t));
#endif
  }
  ~TrainStep() {
#if FEEDGRAPH_HAVE_CUDA
    if (device_sums_) cudaFree(device_sums_);
#endif
  }
  TrainStep(const TrainStep&) = delete;
  TrainStep& operator=(const TrainStep&) = delete;

  /// Queue the step on `stream` and return: the loop never waits for the GPU.
  void operator()(const feedgraph::DeviceBatch& batch, cudaStream_t stream) {
    const auto at = static_cast<std::size_t>(batch.ticket());
    if (cuda_) {
      feedgraph::enqueue_device_checksum(batch.view(), device_sums_ + at, stream);
    } else {
      sums_[at] = feedgraph::batch_checksum({batch.data(), batch.size_bytes()}, batch.sample_layout()->bytes());
    }
  }

  /// Every step's result, once the stream has run them (the one wait, at the end).
  const std::vector<std::uint64_t>& results(cudaStream_t stream) {
#if FEEDGRAPH_HAVE_CUDA
    if (cuda_) {
      cudaMemcpyAsync(sums_.data(), device_sums_, sums_.size() * sizeof(std::uint64_t), cudaMemcpyDeviceToHost, stream);
      cudaStreamSynchronize(stream);
    }
#else
    (void)stream;
#endif
    return sums_;
  }

 private:
  bool cuda_;
  std::vector<std::uint64_t> sums_;
  std::uint64_t* device_sums_ = nullptr;
};
