#pragma once
// `threads: auto`: how many threads run a graph's node bodies.
#include <algorithm>

#include "feedgraph/spec.hpp"

namespace feedgraph::detail {

/// Local rank `local_rank`'s share of `cores` among `local_world` ranks on one host: the shares add up to
/// the cores, and none is below 1.
inline int core_share(int cores, int local_world, int local_rank) {
  if (local_world <= 1) return std::max(1, cores);
  const int share = cores / local_world + (local_rank < cores % local_world ? 1 : 0);
  return std::max(1, share);
}

/// A read worker that may sleep on storage, or a transform worker whose transforms may sleep, gets a thread of
/// its own, even above the core count: asleep it costs no core, and a missing thread would cap the
/// concurrency the file asked for. The bodies that compute (transforms, pin copies, the serial
/// copy/compute/done nodes counted as one, reads from memory) share
/// threads up to the cores: more of them than cores only take turns, and every turn preempts a body in the
/// middle of its batch. Two JPEG decoders on two cores made 2-4% more samples/s with 2 threads than with one
/// per body (5), cpu-bound 3% (bench/RESULTS.md, session 7). Never fewer threads than cores.
inline int auto_thread_count(int cores, const ConcurrencySpec& c, bool reads_may_sleep, bool transforms_may_sleep) {
  const int sleeping = (reads_may_sleep ? c.read : 0) + (transforms_may_sleep ? c.transform : 0);
  const int computing = (reads_may_sleep ? 0 : c.read) + (transforms_may_sleep ? 0 : c.transform) + c.pin + 1;
  return std::max(cores, sleeping + std::min(cores, computing));
}

}  // namespace feedgraph::detail
