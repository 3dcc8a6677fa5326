// The host's figures: cores and memcpy GB/s with one thread and with all of them. Also the stand-ins for the
// CUDA figures in a build without CUDA, so that probe() and the CLI link and say why there is no link table.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <new>
#include <thread>
#include <vector>

#include "feedgraph/errors.hpp"
#include "tools/probe/probe_detail.hpp"

namespace feedgraph {
namespace detail {

double median(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  const std::size_t n = samples.size();
  return n % 2 == 1 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2.0;
}

PageableBuffer::PageableBuffer(std::size_t bytes) : data_(static_cast<std::byte*>(std::malloc(bytes))) {
  if (data_ == nullptr) throw std::bad_alloc();
  // Non-zero, so that no page stays the shared zero page a read would otherwise hit.
  std::memset(data_, 0x5a, bytes);
}

PageableBuffer::~PageableBuffer() { std::free(data_); }

namespace {

void copy_split(std::byte* dst, const std::byte* src, std::size_t bytes, unsigned threads) {
  if (threads <= 1) {
    std::memcpy(dst, src, bytes);
    return;
  }
  // Cache-line aligned parts, so that no two threads write the same line; the last takes the remainder.
  const std::size_t part = bytes / threads / 64 * 64;
  std::vector<std::thread> workers;
  workers.reserve(threads);
  for (unsigned t = 0; t < threads; ++t) {
    const std::size_t begin = part * t;
    const std::size_t size = t + 1 == threads ? bytes - begin : part;
    workers.emplace_back([=] { std::memcpy(dst + begin, src + begin, size); });
  }
  for (auto& w : workers) w.join();
}

/// Seconds for one copy of `bytes`, split across `threads`.
double time_copy(std::byte* dst, const std::byte* src, std::size_t bytes, unsigned threads) {
  using Clock = std::chrono::steady_clock;
  // Starting the threads is inside the timed region: a few tens of microseconds against a copy of
  // 256 MiB (tens of milliseconds), and it is what a split copy costs.
  const auto begin = Clock::now();
  copy_split(dst, src, bytes, threads);
  return std::chrono::duration<double>(Clock::now() - begin).count();
}

double gbps(std::size_t bytes, double seconds) { return static_cast<double>(bytes) / seconds / 1e9; }

}  // namespace

double memcpy_gbps(std::byte* dst, const std::byte* src, std::size_t bytes, unsigned threads, int repeats) {
  copy_split(dst, src, bytes, threads);  // warm-up: TLBs, page tables, thread stacks
  std::vector<double> rates;
  rates.reserve(static_cast<std::size_t>(repeats));
  for (int i = 0; i < repeats; ++i) rates.push_back(gbps(bytes, time_copy(dst, src, bytes, threads)));
  return median(std::move(rates));
}

HostRates probe_host(int repeats) {
  HostRates r;
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  r.cores = static_cast<int>(cores);
  r.bytes = memcpy_probe_bytes;
  PageableBuffer src(r.bytes);
  PageableBuffer dst(r.bytes);
  copy_split(dst.data(), src.data(), r.bytes, 1);  // warm-up
  copy_split(dst.data(), src.data(), r.bytes, cores);
  // One thread and all cores take turns, so that load from elsewhere on the machine, which comes and goes,
  // weighs on both figures alike instead of on whichever ran while it lasted.
  std::vector<double> one, all;
  for (int i = 0; i < repeats; ++i) {
    one.push_back(gbps(r.bytes, time_copy(dst.data(), src.data(), r.bytes, 1)));
    all.push_back(gbps(r.bytes, time_copy(dst.data(), src.data(), r.bytes, cores)));
  }
  r.one_thread_gbps = median(std::move(one));
  r.all_cores_gbps = median(std::move(all));
  return r;
}

#if !FEEDGRAPH_HAVE_CUDA
CudaRates probe_cuda(int, const std::vector<std::size_t>&, int) {
  throw Error("this feedgraph was built without CUDA: the link table needs a CUDA device (probe --device host)");
}
#endif

}  // namespace detail

#if !FEEDGRAPH_HAVE_CUDA
double pinned_h2d_ceiling_gbps(int, std::size_t) {
  throw Error("this feedgraph was built without CUDA: there is no pinned H2D ceiling to measure");
}
#endif

}  // namespace feedgraph
