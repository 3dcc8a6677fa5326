#include "array.hpp"

#include <dlpack/dlpack.h>
#include <fmt/format.h>

#include <cstdint>
#include <string>

namespace py = pybind11;

namespace feedgraph::python {
namespace {

// The CUDA runtime's names for the two default streams (cudaStreamLegacy, cudaStreamPerThread), which DLPack
// numbers 1 and 2. The runtime takes these handle values wherever a stream goes.
CUstream_st* const legacy_stream = reinterpret_cast<CUstream_st*>(std::uintptr_t{1});
CUstream_st* const per_thread_stream = reinterpret_cast<CUstream_st*>(std::uintptr_t{2});

/// A DLPack `stream` argument as a cudaStream_t.
CUstream_st* consumer_stream(const py::object& stream) {
  if (stream.is_none()) return legacy_stream;
  const long long value = stream.cast<long long>();
  switch (value) {
    case -1:  // "no synchronization": the consumer orders itself; the release still waits for the legacy stream
    case 0:   // not a DLPack value (ambiguous); the CUDA runtime reads 0 as the legacy default stream
    case 1:
      return legacy_stream;
    case 2:
      return per_thread_stream;
    default:
      if (value < 0) throw py::value_error(fmt::format("__dlpack__: stream {} is not a CUDA stream", value));
      return reinterpret_cast<CUstream_st*>(static_cast<std::uintptr_t>(value));
  }
}

/// What a DLPack consumer gets: the tensor and what keeps the batch alive, freed by the consumer (the
/// deleter) or by the capsule if nobody consumed it.
struct Export {
  std::shared_ptr<HeldBatch> held;
  std::vector<std::int64_t> shape;
  DLManagedTensor tensor{};
};

void delete_export(DLManagedTensor* tensor) { delete static_cast<Export*>(tensor->manager_ctx); }

void capsule_destructor(PyObject* capsule) {
  // A consumer renames the capsule "used_dltensor" when it takes the tensor, and then owns it.
  if (!PyCapsule_IsValid(capsule, "dltensor")) return;
  auto* tensor = static_cast<DLManagedTensor*>(PyCapsule_GetPointer(capsule, "dltensor"));
  if (tensor && tensor->deleter) tensor->deleter(tensor);
}

DLDataType dl_type(DType t) {
  switch (t) {
    case DType::u8: return {kDLUInt, 8, 1};
    case DType::i32: return {kDLInt, 32, 1};
    case DType::f16: return {kDLFloat, 16, 1};
    case DType::f32: return {kDLFloat, 32, 1};
  }
  return {kDLUInt, 8, 1};
}

const char* type_string(DType t) {  // __cuda_array_interface__'s typestr (little-endian)
  switch (t) {
    case DType::u8: return "|u1";
    case DType::i32: return "<i4";
    case DType::f16: return "<f2";
    case DType::f32: return "<f4";
  }
  return "|u1";
}

}  // namespace

void* Array::address() const {
  return part_ == Part::data ? static_cast<void*>(held_->batch.data())
                             : const_cast<void*>(static_cast<const void*>(held_->batch.labels()));
}

py::capsule Array::dlpack(const py::object& stream, const py::object& max_version, const py::object& dl_device,
                          const py::object& copy) {
  (void)max_version;  // a legacy capsule is what every version of the protocol accepts
  if (!copy.is_none() && copy.cast<bool>())
    throw py::buffer_error("__dlpack__(copy=True): feedgraph hands out its own buffers and never copies");
  if (!dl_device.is_none() && !dl_device.equal(dlpack_device()))
    throw py::buffer_error("__dlpack__(dl_device=...): the batch lives on " + py::str(dlpack_device()).cast<std::string>());
  if (!held_->batch) throw py::buffer_error("__dlpack__: the batch was already released");
  if (held_->cuda) held_->use_on(consumer_stream(stream));

  auto owner = std::make_unique<Export>();
  owner->held = held_;
  owner->shape = dims();
  DLTensor& t = owner->tensor.dl_tensor;
  t.data = address();
  t.device = held_->cuda ? DLDevice{kDLCUDA, held_->device_index} : DLDevice{kDLCPU, 0};
  t.ndim = static_cast<std::int32_t>(owner->shape.size());
  t.dtype = part_ == Part::data ? dl_type(held_->batch.dtype()) : DLDataType{kDLInt, 64, 1};
  t.shape = owner->shape.data();
  t.strides = nullptr;  // dense, row-major
  t.byte_offset = 0;
  owner->tensor.manager_ctx = owner.get();
  owner->tensor.deleter = &delete_export;
  PyObject* capsule = PyCapsule_New(&owner->tensor, "dltensor", &capsule_destructor);
  if (!capsule) throw py::error_already_set();
  owner.release();  // the capsule (then its consumer) owns it
  return py::reinterpret_steal<py::capsule>(capsule);
}

py::tuple Array::dlpack_device() const {
  const int type = held_->cuda ? static_cast<int>(kDLCUDA) : static_cast<int>(kDLCPU);
  const int index = held_->cuda ? held_->device_index : 0;
  return py::make_tuple(type, index);
}

py::dict Array::cuda_array_interface() {
  if (!held_->cuda) throw py::attribute_error("__cuda_array_interface__: the batch is in host memory (host backend)");
  if (!held_->batch) throw py::attribute_error("__cuda_array_interface__: the batch was already released");
  held_->use_on(legacy_stream);
  py::dict d;
  d["shape"] = shape();
  d["typestr"] = part_ == Part::data ? type_string(held_->batch.dtype()) : "<i8";
  d["data"] = py::make_tuple(reinterpret_cast<std::uintptr_t>(address()), false);
  d["strides"] = py::none();
  d["version"] = 3;
  d["stream"] = 1;  // ready on the legacy default stream
  return d;
}

py::tuple Array::shape() const {
  const auto& d = dims();
  py::tuple out(d.size());
  for (std::size_t i = 0; i < d.size(); ++i) out[i] = d[i];
  return out;
}

const char* Array::dtype() const {
  if (part_ == Part::labels) return "int64";
  switch (held_->batch.dtype()) {
    case DType::u8: return "uint8";
    case DType::i32: return "int32";
    case DType::f16: return "float16";
    case DType::f32: return "float32";
  }
  return "uint8";
}

std::uintptr_t Array::ptr() const { return reinterpret_cast<std::uintptr_t>(address()); }

std::size_t Array::nbytes() const {
  return part_ == Part::data ? held_->batch.size_bytes() : held_->label_shape[0] * sizeof(std::int64_t);
}

std::string Array::repr() const {
  std::string dims_text;
  for (std::int64_t d : dims()) dims_text += (dims_text.empty() ? "" : ", ") + std::to_string(d);
  return fmt::format("feedgraph.Array(shape=({}{}), dtype={}, device={})", dims_text, dims().size() == 1 ? "," : "",
                     dtype(), held_->cuda ? "cuda:" + std::to_string(held_->device_index) : "cpu");
}

void bind_array(py::module_& m) {
  py::class_<Array>(m, "Array",
                    "A batch's data or labels, exported without a copy: pass it to torch.from_dlpack, "
                    "numpy.from_dlpack (host backend), jax.dlpack.from_dlpack or cupy.from_dlpack. On cuda, the "
                    "consumer's stream waits for the batch on the device, and the buffer goes back to the "
                    "pipeline once every tensor made from it is freed and the work queued on that stream has run.")
      .def("__dlpack__", &Array::dlpack, py::kw_only(), py::arg("stream") = py::none(),
           py::arg("max_version") = py::none(), py::arg("dl_device") = py::none(), py::arg("copy") = py::none(),
           "A DLPack capsule of the array. `stream`: the consumer's CUDA stream (None or 1: the legacy default "
           "stream, 2: the per-thread default stream, else a cudaStream_t), made to wait for the batch.")
      .def("__dlpack_device__", &Array::dlpack_device, "(device type, device index) as DLPack numbers them.")
      .def_property_readonly("__cuda_array_interface__", &Array::cuda_array_interface,
                             "Version 3, ready on the legacy default stream (cuda backend only).")
      .def_property_readonly("shape", &Array::shape)
      .def_property_readonly("dtype", &Array::dtype, "numpy's name for the element type.")
      .def_property_readonly("ptr", &Array::ptr, "The address of the first element (the engine's own buffer).")
      .def_property_readonly("nbytes", &Array::nbytes)
      .def_property_readonly("is_cuda", &Array::on_cuda)
      .def("__repr__", &Array::repr);
}

}  // namespace feedgraph::python
