// Ctrl-C and SIGTERM as a clean stop (interrupt.hpp).
#include "cli/interrupt.hpp"

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "feedgraph/pipeline.hpp"

namespace feedgraph::cli {
namespace {

std::atomic<int> received{0};
std::mutex watched_mutex;
Pipeline* watched = nullptr;

sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

void wait_for_signals() {
  const sigset_t set = stop_signals();
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    int expected = 0;
    if (!received.compare_exchange_strong(expected, sig)) {
      // The second one: whoever presses Ctrl-C again does not want to wait for a clean stop.
      std::_Exit(128 + sig);
    }
    std::lock_guard lock(watched_mutex);
    if (watched) watched->stop();
  }
}

}  // namespace

void install_interrupt_handling() {
  const sigset_t set = stop_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // Detached: it lives as long as the process, and holds nothing that needs tearing down.
  std::thread(wait_for_signals).detach();
}

int interrupt_signal() noexcept { return received.load(); }

InterruptWatch::InterruptWatch(Pipeline& pipeline) {
  std::lock_guard lock(watched_mutex);
  watched = &pipeline;
}

InterruptWatch::~InterruptWatch() {
  std::lock_guard lock(watched_mutex);
  watched = nullptr;
}

}  // namespace feedgraph::cli
