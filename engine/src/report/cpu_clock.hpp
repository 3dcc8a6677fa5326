#pragma once
// CPU time, as the kernel counts it (user + system): the whole process's, every thread, and the calling
// thread's alone. A run reports both over its wall (RunStats::cpu_s, NodeStats::cpu_s): a thread that waits
// by spinning counts, one that sleeps does not, so "the host is busy" can be told from "the host waits".
#include <time.h>

namespace feedgraph::detail {

inline double cpu_clock_seconds(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

/// The process's CPU seconds so far, every thread (the engine's, oneTBB's, CUDA's, the caller's).
inline double process_cpu_seconds() { return cpu_clock_seconds(CLOCK_PROCESS_CPUTIME_ID); }

/// The calling thread's CPU seconds so far.
inline double thread_cpu_seconds() { return cpu_clock_seconds(CLOCK_THREAD_CPUTIME_ID); }

}  // namespace feedgraph::detail
