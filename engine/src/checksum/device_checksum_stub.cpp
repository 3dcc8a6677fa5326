// In a build without CUDA there is no device to checksum on; say so instead of failing to link.
#include "feedgraph/device_checksum.hpp"
#include "feedgraph/errors.hpp"

#if !FEEDGRAPH_HAVE_CUDA
namespace feedgraph {
void enqueue_device_checksum(const DeviceBatchView&, std::uint64_t*, CUstream_st*) {
  throw Error("enqueue_device_checksum: this feedgraph was built without CUDA");
}
}  // namespace feedgraph
#endif
