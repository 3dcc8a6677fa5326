#pragma once
// The batch checksum (feedgraph/checksum.hpp) computed on the GPU, for compute stages: every built-in
// kernel calls it so that `verify` can compare what crossed the link with what the host sent.
//
//   void launch(const feedgraph::ComputeLaunch& l) override {
//     feedgraph::launch_checksum(l);   // cuda: a kernel enqueued on l.stream; host: computed here
//     my_kernel<<<grid, block, 0, l.stream>>>(...);
//   }
#include <cstdint>

#include "feedgraph/stage.hpp"

namespace feedgraph {

/// Enqueue on `stream` a kernel that adds the checksum of `batch` (device memory) into `*out` (device
/// memory, zeroed by the engine). Never waits on the host. Throws CudaError when the launch fails, and Error
/// in a build without CUDA.
void enqueue_device_checksum(const DeviceBatchView& batch, std::uint64_t* out, CUstream_st* stream);

/// The batch checksum into `launch.checksum`, where the engine reads it: enqueue_device_checksum on the
/// launch's stream on cuda, batch_checksum on this thread on the host backend. Throws what
/// enqueue_device_checksum throws on cuda; nothing on the host backend.
void launch_checksum(const ComputeLaunch& launch);

}  // namespace feedgraph
