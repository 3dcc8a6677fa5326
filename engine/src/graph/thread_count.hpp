#pragma once
// `threads: auto`: how many threads run a graph's node bodies.
#include <algorithm>
#include <cstddef>

#include "feedgraph/spec.hpp"

namespace feedgraph::detail {

/// Local rank `local_rank`'s share of `cores` among `local_world` ranks on one host: the shares add up to
/// the cores, and none is below 1.
inline int core_share(int cores, int local_world, int local_rank) {
  if (local_world <= 1) return std::max(1, cores);
  const int share = cores / local_world + (local_rank < cores % local_world ? 1 : 0);
  return std::max(1, share);
}

/// The pin node copies a batch into page-locked memory in chunks of this size, several threads at once where it
/// has more than two: one thread's memcpy into pinned memory runs at about 9 GB/s, a sixth of PCIe Gen5.
inline constexpr std::size_t kPinChunk = std::size_t{4} << 20;

/// The pieces the pin node copies a batch of `batch_bytes` in, each on a thread of its own: 1 (one memcpy) up to
/// two chunks, else one per chunk.
inline std::size_t pin_chunks(std::size_t batch_bytes) {
  return batch_bytes <= 2 * kPinChunk ? 1 : (batch_bytes + kPinChunk - 1) / kPinChunk;
}

/// The threads one pin body may keep busy with a batch of `batch_bytes` (its chunks, up to the cores).
inline int pin_width(std::size_t batch_bytes, int cores) {
  return static_cast<int>(std::min<std::size_t>(pin_chunks(batch_bytes), static_cast<std::size_t>(std::max(1, cores))));
}

/// A read worker that may sleep on storage, or a transform worker whose transforms may sleep, gets a thread of
/// its own, even above the core count: asleep it costs no core, and a missing thread would cap the
/// concurrency the file asked for. The bodies that compute (transforms, pin copies `pin_threads` wide, the
/// serial copy/compute/done nodes counted as one, reads from memory) share threads up to the cores: more of
/// them than cores only take turns, and every turn preempts a body in the middle of its batch. Two JPEG
/// decoders on two cores made 2-4% more samples/s with 2 threads than with one per body (5), cpu-bound 3%
/// (bench/RESULTS.md, session 7). No more threads than bodies can use at once, either: a worker with no body to
/// run looks for work on a core (oneTBB spins before it sleeps): on the H100, graphs/images-gpu.yaml (the host
/// reads files for the GPU to decode: 7 bodies) kept 4.0 cores busy with 16 threads and 3.2 with 7, at the same
/// images/s (bench/RESULTS.md, session 19).
inline int auto_thread_count(int cores, const ConcurrencySpec& c, bool reads_may_sleep, bool transforms_may_sleep,
                             int pin_threads = 1) {
  const int sleeping = (reads_may_sleep ? c.read : 0) + (transforms_may_sleep ? c.transform : 0);
  const int computing =
      (reads_may_sleep ? 0 : c.read) + (transforms_may_sleep ? 0 : c.transform) + c.pin * pin_threads + 1;
  return sleeping + std::min(std::max(1, cores), computing);
}

}  // namespace feedgraph::detail
