// The host CPU by thread: a thread's time waiting for a core (other threads' turn) is told from its time
// asleep, which is what lets the verdict tell readers that wait on storage from readers short of cores.
#include <doctest/doctest.h>
#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <unordered_set>
#include <vector>

#include "backend/live_counts.hpp"
#include "report/cpu_clock.hpp"
#include "report/thread_cpu.hpp"

using namespace feedgraph::detail;

namespace {

/// core_wait_of() over `count` threads that each run `body` between the two samples, pinned to one core
/// where `one_core`.
double core_wait_of_threads(int count, bool one_core, void (*body)()) {
  cpu_set_t first{};
  CPU_ZERO(&first);
  if (one_core) {
    cpu_set_t allowed{};
    REQUIRE(sched_getaffinity(0, sizeof allowed, &allowed) == 0);
    int cpu = 0;
    while (!CPU_ISSET(cpu, &allowed)) ++cpu;
    CPU_SET(cpu, &first);
  }
  std::unordered_set<pid_t> ids;
  std::mutex mutex;
  std::atomic<int> ready{0}, done{0};
  std::atomic<bool> go{false}, release{false};
  std::vector<std::thread> threads;
  for (int k = 0; k < count; ++k)
    threads.emplace_back([&] {
      if (one_core) pthread_setaffinity_np(pthread_self(), sizeof first, &first);
      {
        std::lock_guard lock(mutex);
        ids.insert(this_thread_id());
      }
      ready.fetch_add(1);
      while (!go.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      body();
      done.fetch_add(1);
      while (!release.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));  // alive for the sample
    });
  while (ready.load() < count) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const auto begin = sample_process_threads(Named::no);
  go.store(true);
  while (done.load() < count) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const auto end = sample_process_threads(Named::no);
  release.store(true);
  for (auto& t : threads) t.join();
  return core_wait_of(begin, end, ids);
}

/// 0.1 s of the calling thread's CPU time, however long that takes on the wall.
void spin() {
  const double until = thread_cpu_seconds() + 0.1;
  while (thread_cpu_seconds() < until) {
  }
}

void nap() { std::this_thread::sleep_for(std::chrono::milliseconds(200)); }

}  // namespace

TEST_SUITE_BEGIN("report");

TEST_CASE("threads sharing one core wait for it / and sleeping threads do not" * doctest::test_suite("timing")) {
  // Three threads wanting 0.1 s of CPU each from one core: each waits out the others' turns, about 0.6 s in all.
  const double shared = core_wait_of_threads(3, true, spin);
  if (shared < 0) return;  // a kernel that keeps no run delay: the verdict then goes by CPU time alone
  CHECK(shared >= 0.25);
  // Three threads asleep for 0.2 s each: off a core, and not waiting for one.
  CHECK(core_wait_of_threads(3, false, nap) < 0.1);
}

TEST_CASE("a thread started by one of the engine's threads takes its name but is shown as started by it") {
  // The engine's thread starts a plain thread, as oneTBB starts a worker from the thread that first wakes one;
  // Linux gives the new thread its starter's name.
  std::atomic<pid_t> parent{0}, child{0};
  std::atomic<bool> release{false};
  std::thread started;
  CountedThread engine("fg-test-parent", [&] {
    parent = this_thread_id();
    started = std::thread([&] {
      child = this_thread_id();
      while (!release.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    });
    while (!release.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  });
  while (parent.load() == 0 || child.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const auto threads = sample_process_threads(Named::yes);
  release = true;
  engine.join();
  started.join();
  auto name_of = [&](pid_t tid) {
    for (const ThreadClock& t : threads)
      if (t.tid == tid) return t.name;
    return std::string("(not sampled)");
  };
  CHECK(name_of(parent.load()) == "fg-test-parent");
  CHECK(name_of(child.load()) == "started by fg-test-parent");
}

TEST_SUITE_END();
