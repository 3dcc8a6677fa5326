#pragma once
// feedgraph.Array: a batch's data or labels as a zero-copy array for any DLPack consumer
// (torch.from_dlpack, numpy.from_dlpack, jax.dlpack, cupy.from_dlpack), and through
// __cuda_array_interface__ (version 3) for those that read that.
//
// Stream order (cuda): __dlpack__(stream=S) makes S wait for the batch on the device (the host never waits),
// and the buffer goes back to the pipeline only after the work queued on S before the last reference was let
// go. DLPack's stream values: None or 1 is the legacy default stream, 2 the per-thread default stream, any
// other integer a cudaStream_t; -1 asks for no wait, and then the release waits for the legacy default
// stream. __cuda_array_interface__ names the legacy default stream as the one the data is ready on.
#include <pybind11/pybind11.h>

#include <memory>

#include "held_batch.hpp"

namespace feedgraph::python {

class Array {
 public:
  enum class Part { data, labels };
  Array(std::shared_ptr<HeldBatch> held, Part part) : held_(std::move(held)), part_(part) {}

  /// A "dltensor" capsule (DLPack 0.6 ABI, which every consumer reads; `max_version` is accepted and a legacy
  /// capsule returned, as the protocol allows). Throws BufferError for copy=True or another dl_device.
  pybind11::capsule dlpack(const pybind11::object& stream, const pybind11::object& max_version,
                           const pybind11::object& dl_device, const pybind11::object& copy);
  /// (kDLCUDA, device) or (kDLCPU, 0).
  pybind11::tuple dlpack_device() const;
  /// Raises AttributeError on the host backend (hasattr() is then False, as consumers expect).
  pybind11::dict cuda_array_interface();

  pybind11::tuple shape() const;
  /// numpy's name for the element type: "uint8", "int32", "float16", "float32", "int64".
  const char* dtype() const;
  std::uintptr_t ptr() const;
  std::size_t nbytes() const;
  bool on_cuda() const { return held_->cuda; }
  std::string repr() const;

 private:
  const std::vector<std::int64_t>& dims() const { return part_ == Part::data ? held_->data_shape : held_->label_shape; }
  void* address() const;

  std::shared_ptr<HeldBatch> held_;
  Part part_;
};

void bind_array(pybind11::module_& m);

}  // namespace feedgraph::python
