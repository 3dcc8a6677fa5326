#pragma once
// The batch checksum (feedgraph/checksum.hpp) computed on the GPU, for compute stages: every built-in
// kernel calls it so that `verify` can compare what crossed the link with what the host sent.
//
//   void launch(const feedgraph::ComputeLaunch& l) override {
//     feedgraph::enqueue_device_checksum(l.batch, l.checksum, l.stream);   // cuda: enqueue only
//     my_kernel<<<grid, block, 0, l.stream>>>(...);
//   }
#include <cstdint>

#include "feedgraph/stage.hpp"

namespace feedgraph {

/// Enqueue on `stream` a kernel that adds the checksum of `batch` (device memory) into `*out` (device
/// memory, zeroed by the engine). Never waits on the host. Throws Error in a build without CUDA.
void enqueue_device_checksum(const DeviceBatchView& batch, std::uint64_t* out, CUstream_st* stream);

}  // namespace feedgraph
