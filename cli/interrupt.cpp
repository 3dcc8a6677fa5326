// Ctrl-C and SIGTERM as a clean stop (interrupt.hpp).
#include "cli/interrupt.hpp"

#include <semaphore.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "feedgraph/pipeline.hpp"

namespace feedgraph::cli {
namespace {

std::atomic<int> received{0};
sem_t wake;  // posted by the handler: the one thing it does besides recording the signal
std::mutex watched_mutex;
Pipeline* watched = nullptr;

/// Runs on whichever thread the kernel chose (the sanitizers' own threads included), so it does only what
/// is async-signal-safe: a lock-free exchange, sem_post, _exit.
extern "C" void on_stop_signal(int sig) {
  int expected = 0;
  if (!received.compare_exchange_strong(expected, sig)) _exit(128 + sig);  // the second one: no clean stop
  sem_post(&wake);
}

void stop_watched() {
  for (;;) {
    while (sem_wait(&wake) != 0) {
    }
    std::lock_guard lock(watched_mutex);
    if (watched) watched->stop();
  }
}

}  // namespace

void install_interrupt_handling() {
  sem_init(&wake, 0, 0);
  // Detached: it lives as long as the process, and holds nothing that needs tearing down.
  std::thread(stop_watched).detach();
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
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
