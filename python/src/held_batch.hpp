#pragma once
// A pulled batch shared by its Python Batch and every array exported from it: the device buffer goes back to
// the pipeline when the last of them is gone (a torch tensor made by DLPack holds it through the DLPack
// deleter), after the work queued on every stream that was handed the batch.
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "feedgraph/device_batch.hpp"

namespace feedgraph::python {

struct HeldBatch {
  HeldBatch(DeviceBatch b, bool on_cuda, int device) : batch(std::move(b)), cuda(on_cuda), device_index(device) {
    data_shape.assign(batch.shape().begin(), batch.shape().end());
    label_shape = {batch.samples()};
  }
  HeldBatch(const HeldBatch&) = delete;
  HeldBatch& operator=(const HeldBatch&) = delete;
  /// Runs on whichever thread let go of the last reference (a tensor freed in torch's autograd thread, say):
  /// it touches no Python object. Releasing waits, on the device, for the streams given to use_on.
  ~HeldBatch() { batch.release(); }

  /// A consumer will use the batch on `stream` (a cudaStream_t): the stream waits for the batch on the device,
  /// and the buffer's release waits for the stream. Called with the GIL held, which orders the calls.
  void use_on(CUstream_st* stream) { batch.wait_on(stream); }

  DeviceBatch batch;
  const bool cuda;
  const int device_index;
  std::vector<std::int64_t> data_shape;   // {samples, dims...}
  std::vector<std::int64_t> label_shape;  // {samples}
};

}  // namespace feedgraph::python
