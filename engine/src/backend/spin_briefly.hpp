#pragma once
// A short spin before a condition-variable sleep, for the engine's hand-offs (a stand-in stream waiting for
// its next op, a pulling loop waiting for its next batch): the next item usually arrives within
// microseconds, and a futex sleep and wake costs more than that on a small machine.
//
// Bounded by time and never yielding: std::this_thread::yield() hands the rest of the time slice to another
// runnable thread, which on a loaded machine (a compiler, a second job) means milliseconds per yield. A
// 200-yield spin that costs microseconds alone then costs a second; a 1,100-run test went from 7 s to over
// 60 s with two busy processes beside it. A pause-spin holds the core for at most `limit`, then sleeps.
#include <chrono>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace feedgraph::detail {

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");  // the instruction: a hint to the core, not the scheduler's yield
#endif
}

/// Spin while `ready()` is false, for at most `limit`; returns its last answer.
template <class Ready>
bool spin_briefly(Ready&& ready, std::chrono::nanoseconds limit = std::chrono::microseconds(20)) {
  const auto start = std::chrono::steady_clock::now();
  for (unsigned i = 1;; ++i) {
    if (ready()) return true;
    cpu_relax();
    // The clock is read every 64 pauses (a pause is tens of cycles), not on every turn.
    if (i % 64 == 0 && std::chrono::steady_clock::now() - start > limit) return ready();
  }
}

}  // namespace feedgraph::detail
