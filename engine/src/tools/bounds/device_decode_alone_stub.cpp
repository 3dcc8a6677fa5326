// measure_device_decode_alone in a build without nvJPEG (the real one: src/cuda/nvjpeg_decode_alone.cpp).
#include "feedgraph/errors.hpp"
#include "feedgraph/tools/bounds.hpp"

#if !FEEDGRAPH_HAVE_NVJPEG
namespace feedgraph {
DeviceDecodeAlone measure_device_decode_alone(const PipelineSpec&, int) {
  throw Error("measure_device_decode_alone: this build has no nvJPEG (FEEDGRAPH_NVJPEG is off, or the CUDA toolkit "
              "it was built with has no nvjpeg.h)");
}
}  // namespace feedgraph
#endif
