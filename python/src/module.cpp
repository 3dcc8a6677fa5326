// _feedgraph: the extension behind the `feedgraph` Python package (feedgraph/__init__.py is the documented API).
#include <pybind11/pybind11.h>

#include "array.hpp"
#include "errors.hpp"
#include "feedgraph/pipeline.hpp"
#include "pipeline_binding.hpp"

PYBIND11_MODULE(_feedgraph, m) {
  m.doc() = "feedgraph's engine, for the feedgraph package";
  m.attr("__version__") = feedgraph::version();
#if FEEDGRAPH_HAVE_CUDA
  m.attr("built_with_cuda") = true;
#else
  m.attr("built_with_cuda") = false;
#endif
  // decode_jpeg in device_transforms on cuda needs nvJPEG (FEEDGRAPH_NVJPEG); the host stand-in does not.
#if FEEDGRAPH_HAVE_NVJPEG
  m.attr("built_with_nvjpeg") = true;
#else
  m.attr("built_with_nvjpeg") = false;
#endif
  feedgraph::python::bind_errors(m);
  feedgraph::python::bind_array(m);
  feedgraph::python::bind_pipeline(m);
}
