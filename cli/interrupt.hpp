#pragma once
// Ctrl-C (SIGINT) and SIGTERM during a command: the pipeline running at that moment is stopped cleanly
// (Pipeline::stop), the command reports what ran, marked as interrupted, and exits 128 + the signal (130 for
// SIGINT, 143 for SIGTERM). A second signal ends the process at once.
//
// How: the handler only records the signal and posts a semaphore (both async-signal-safe, whichever thread
// the kernel delivers it to); a thread of its own waits on the semaphore and stops the pipeline there,
// outside any signal handler, where locks and the engine's calls are allowed.
namespace feedgraph {
class Pipeline;
}

namespace feedgraph::cli {

class InterruptWatch;

/// Call once in main(), before a command starts. Without it (tests calling the commands in-process) nothing is caught
/// and requested() stays false.
void install_interrupt_handling();

/// The signal that asked the command to stop (SIGINT, SIGTERM), or 0.
int interrupt_signal() noexcept;
inline bool interrupt_requested() noexcept { return interrupt_signal() != 0; }
/// 128 + the signal: the status a shell expects of a process a signal ended.
inline int interrupted_exit_status() noexcept { return 128 + interrupt_signal(); }

/// Thrown from a tune's or an ablation's callback once a signal came, to end the search between runs.
struct Interrupted {};

/// While alive, a signal stops `pipeline`'s run in progress (and a run started after the signal stops at once).
class InterruptWatch {
 public:
  explicit InterruptWatch(Pipeline& pipeline);
  ~InterruptWatch();
  InterruptWatch(const InterruptWatch&) = delete;
  InterruptWatch& operator=(const InterruptWatch&) = delete;
};

}  // namespace feedgraph::cli
