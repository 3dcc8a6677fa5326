// The CUDA figures of `feedgraph probe`: H2D and D2H GB/s from pinned and pageable memory at each size, copy
// engines, the PCI address, and how fast one thread fills pinned memory; and the pinned H2D ceiling that
// run and compare hold a graph's delivered rate against.
//
// Every copy is a cudaMemcpyAsync on a non-blocking stream between two events, so the figure is the
// stream's time for the copy alone. A pageable copy is still timed this way: the driver stages it through
// its own pinned buffer while the stream runs, and the events bracket all of it.
#include <cuda_runtime_api.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <string>
#include <vector>

#include "cuda/check.hpp"
#include "cuda/handles.hpp"
#include "feedgraph/errors.hpp"
#include "tools/probe/probe_detail.hpp"

namespace feedgraph {
namespace detail {
namespace {

/// Copies `repeats` times after one warm-up and keeps the median GB/s. One stream and one pair of events
/// serve every measurement of a probe: creating them is not what is being measured.
class CopyTimer {
 public:
  CopyTimer() : stream_(make_stream()), begin_(make_event()), end_(make_event()) {}

  double gbps(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind, int repeats) {
    (void)time_one(dst, src, bytes, kind);  // warm-up: the first copy of a buffer pays for mappings
    std::vector<double> rates;
    rates.reserve(static_cast<std::size_t>(repeats));
    for (int i = 0; i < repeats; ++i) rates.push_back(static_cast<double>(bytes) / time_one(dst, src, bytes, kind) / 1e9);
    return median(std::move(rates));
  }

 private:
  double time_one(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind) {
    FG_CUDA(cudaEventRecord(begin_.get(), stream_.get()));
    FG_CUDA(cudaMemcpyAsync(dst, src, bytes, kind, stream_.get()));
    FG_CUDA(cudaEventRecord(end_.get(), stream_.get()));
    FG_CUDA(cudaEventSynchronize(end_.get()));
    float ms = 0;
    FG_CUDA(cudaEventElapsedTime(&ms, begin_.get(), end_.get()));
    // Event resolution is about half a microsecond; a 64 KiB copy takes a few, so never divide by zero.
    return std::max(static_cast<double>(ms) / 1e3, 1e-7);
  }

  Stream stream_;
  Event begin_, end_;
};

LinkRate measure_size(CopyTimer& timer, std::size_t bytes, int repeats) {
  // Allocated once per size, outside the timed copies: cudaHostAlloc alone costs tens of milliseconds.
  PinnedBuffer pinned = make_pinned(bytes);
  std::memset(pinned.get(), 0x5a, bytes);
  PageableBuffer pageable(bytes);
  DeviceBuffer device = make_device(bytes);
  LinkRate r;
  r.bytes = bytes;
  r.pinned_h2d_gbps = timer.gbps(device.get(), pinned.get(), bytes, cudaMemcpyHostToDevice, repeats);
  r.pageable_h2d_gbps = timer.gbps(device.get(), pageable.data(), bytes, cudaMemcpyHostToDevice, repeats);
  r.pinned_d2h_gbps = timer.gbps(pinned.get(), device.get(), bytes, cudaMemcpyDeviceToHost, repeats);
  r.pageable_d2h_gbps = timer.gbps(pageable.data(), device.get(), bytes, cudaMemcpyDeviceToHost, repeats);
  return r;
}

std::string pci_bus_id(int device_index) {
  std::array<char, 32> id{};
  if (cudaDeviceGetPCIBusId(id.data(), static_cast<int>(id.size()), device_index) != cudaSuccess) {
    (void)cudaGetLastError();  // an address is nice to have; its absence is no reason to fail the probe
    return {};
  }
  return id.data();
}

}  // namespace

CudaRates probe_cuda(int device_index, const std::vector<std::size_t>& sizes, int repeats) {
  FG_CUDA(cudaSetDevice(device_index));
  CudaRates r;
  cudaDeviceProp prop{};
  FG_CUDA(cudaGetDeviceProperties(&prop, device_index));
  r.device_name = prop.name;
  FG_CUDA(cudaDeviceGetAttribute(&r.copy_engines, cudaDevAttrAsyncEngineCount, device_index));
  r.pcie = pci_bus_id(device_index);

  CopyTimer timer;
  for (const std::size_t bytes : sizes) r.link.push_back(measure_size(timer, bytes, repeats));

  // What one pin worker can do: pageable memory into a page-locked slot. It was measured below the
  // link's rate on an H100, which is why pin runs in parallel.
  PinnedBuffer pinned = make_pinned(memcpy_probe_bytes);
  PageableBuffer pageable(memcpy_probe_bytes);
  r.pinned_memcpy_one_thread_gbps =
      memcpy_gbps(static_cast<std::byte*>(pinned.get()), pageable.data(), memcpy_probe_bytes, 1, repeats);
  return r;
}

}  // namespace detail

double pinned_h2d_ceiling_gbps(int device_index, std::size_t bytes) {
  if (bytes == 0) throw Error("pinned_h2d_ceiling_gbps: bytes must be > 0");
  // Few copies: this runs once per command after the graph, and at batch sizes the median of five is
  // already stable to a percent or so.
  constexpr int repeats = 5;
  FG_CUDA(cudaSetDevice(device_index));
  detail::PinnedBuffer pinned = detail::make_pinned(bytes);
  std::memset(pinned.get(), 0x5a, bytes);
  detail::DeviceBuffer device = detail::make_device(bytes);
  detail::CopyTimer timer;
  return timer.gbps(device.get(), pinned.get(), bytes, cudaMemcpyHostToDevice, repeats);
}

}  // namespace feedgraph
