#pragma once
// This machine's ceilings: what the link and the host can move, measured the way the graph moves data, so a
// run's H2D GB/s can be read against what the hardware allows (`feedgraph probe`).
//
//   feedgraph::ProbeOptions options;               // device "auto", 64 KiB .. 256 MiB, median of 5
//   options.sizes = {1 << 20, 64 << 20};
//   auto r = feedgraph::probe(options);            // throws feedgraph::Error on a bad option or device
//   for (const auto& row : r.link) std::cout << row.bytes << ": " << row.pinned_h2d_gbps << " GB/s\n";
//   std::cout << r.memcpy_gbps_one_thread << " GB/s with one thread\n";
//
//   // The ceiling a graph with 64 MiB batches is measured against (cuda only):
//   double ceiling = feedgraph::pinned_h2d_ceiling_gbps(0, 64 << 20);
//
// Method: every measurement is warmed up first, then repeated and the median kept; buffers are allocated
// once per size, never inside the timed region. GPU copies are timed with CUDA events on a non-blocking
// stream; host copies with a steady clock over buffers of at least 256 MiB, so caches do not flatter them.
// GB/s counts bytes / seconds / 1e9.
#include <cstddef>
#include <string>
#include <vector>

namespace feedgraph {

struct ProbeOptions {
  std::string device = "auto";  ///< auto | cuda | cuda:N | host, as in a pipeline file
  /// Transfer sizes of the link table, bytes.
  std::vector<std::size_t> sizes{std::size_t{64} << 10,  std::size_t{256} << 10, std::size_t{1} << 20,
                                 std::size_t{4} << 20,   std::size_t{16} << 20,  std::size_t{64} << 20,
                                 std::size_t{256} << 20};
  int repeats = 5;  ///< timed repetitions per figure (the median is kept); at least 1
};

/// The link's rates at one transfer size, GB/s.
struct LinkRate {
  std::size_t bytes = 0;
  double pinned_h2d_gbps = 0;
  double pageable_h2d_gbps = 0;
  double pinned_d2h_gbps = 0;
  double pageable_d2h_gbps = 0;
};

struct ProbeResult {
  std::string backend;        ///< cuda | host
  std::string device_name;
  std::string device_reason;  ///< why `auto` picked the backend
  int device_index = 0;
  int cores = 0;              ///< std::thread::hardware_concurrency()
  int copy_engines = 0;       ///< cudaDevAttrAsyncEngineCount; 0 on host
  std::string pcie;           ///< the device's PCI bus id ("0000:1B:00.0"); empty on host
  int repeats = 0;
  std::vector<LinkRate> link;  ///< one row per size; empty on host (there is no link to measure)
  std::size_t memcpy_bytes = 0;           ///< the buffer size of the memcpy figures
  double memcpy_gbps_one_thread = 0;      ///< pageable → pageable
  double memcpy_gbps_all_cores = 0;       ///< one copy split across every core
  double pinned_memcpy_gbps_one_thread = 0;  ///< pageable → pinned, what one pin worker can do; 0 on host
};

/// Measure this machine. On the host backend only the host figures (cores, memcpy) are measured.
/// Throws Error on an unknown device, a device that does not answer, sizes of 0 or repeats < 1, and
/// CudaError when a CUDA call fails while measuring.
ProbeResult probe(const ProbeOptions& options);

/// The pinned host → device rate at exactly `bytes` on CUDA device `device_index`: a few copies after a
/// warm-up, the median. A quick measurement, meant to be taken once per command after the runs it is
/// compared with. Throws Error in a build without CUDA or when `bytes` is 0, and CudaError when a CUDA call
/// fails (no device, or none numbered `device_index`).
double pinned_h2d_ceiling_gbps(int device_index, std::size_t bytes);

}  // namespace feedgraph
