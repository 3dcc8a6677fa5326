#include "report/thread_cpu.hpp"

#include <dirent.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <unordered_map>

namespace feedgraph::detail {
namespace {

/// The CPU clock of thread `tid` of this process: the id glibc's pthread_getcpuclockid builds from a thread's
/// kernel id (CPUCLOCK_PERTHREAD | CPUCLOCK_SCHED, the scheduler's nanosecond count), for any thread of ours,
/// including those we did not start.
clockid_t thread_clock(pid_t tid) { return static_cast<clockid_t>((~static_cast<unsigned>(tid) << 3) | 6u); }

/// Thread `tid`'s run delay in seconds, the second field of its schedstat; -1 where the kernel keeps none.
double run_delay(pid_t tid) {
  std::ifstream schedstat("/proc/self/task/" + std::to_string(tid) + "/schedstat");
  unsigned long long on_cpu_ns = 0, waited_ns = 0;
  if (!(schedstat >> on_cpu_ns >> waited_ns)) return -1;
  return static_cast<double>(waited_ns) * 1e-9;
}

std::string thread_name(pid_t tid) {
  std::ifstream comm("/proc/self/task/" + std::to_string(tid) + "/comm");
  std::string name;
  std::getline(comm, name);
  return name.empty() ? "?" : name;
}

/// The engine's named threads not yet joined (note_named_thread). Leaked, so that a thread ending during
/// static destruction still finds it.
struct NamedThreads {
  std::mutex mutex;
  std::unordered_set<pid_t> ids;
};
NamedThreads& named_threads() {
  static auto* named = new NamedThreads;
  return *named;
}

/// Whether `tid` is one of the engine's named threads.
bool noted(pid_t tid) {
  NamedThreads& named = named_threads();
  std::lock_guard lock(named.mutex);
  return named.ids.count(tid) > 0;
}

/// The engine's thread names start so (live_counts.hpp: "fg-watchdog", "fg-pull-graph", ...).
bool engine_name(const std::string& name) { return name.rfind("fg-", 0) == 0; }

}  // namespace

pid_t this_thread_id() noexcept { return static_cast<pid_t>(::syscall(SYS_gettid)); }

pid_t note_named_thread() noexcept {
  const pid_t id = this_thread_id();
  try {
    NamedThreads& named = named_threads();
    std::lock_guard lock(named.mutex);
    named.ids.insert(id);
  } catch (...) {
    // Out of memory: the thread then shows as started by one of its name.
  }
  return id;
}

void forget_named_thread(pid_t id) noexcept {
  NamedThreads& named = named_threads();
  std::lock_guard lock(named.mutex);
  named.ids.erase(id);
}

std::vector<ThreadClock> sample_process_threads(Named named) noexcept {
  std::vector<ThreadClock> out;
  try {
    DIR* dir = ::opendir("/proc/self/task");
    if (!dir) return out;
    while (const dirent* entry = ::readdir(dir)) {
      const pid_t tid = static_cast<pid_t>(std::atoi(entry->d_name));
      if (tid <= 0) continue;
      timespec ts{};
      if (::clock_gettime(thread_clock(tid), &ts) != 0) continue;  // ended since the listing
      std::string name;
      if (named == Named::yes) {
        name = thread_name(tid);
        if (engine_name(name) && !noted(tid)) name = "started by " + name;
      }
      out.push_back({tid, std::move(name), static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9,
                     run_delay(tid)});
    }
    ::closedir(dir);
  } catch (...) {
    out.clear();  // out of memory: no breakdown rather than an error in a report
  }
  return out;
}

std::vector<ThreadCpu> cpu_by_thread(const std::vector<ThreadClock>& begin, const std::vector<ThreadClock>& end,
                                     const std::unordered_set<pid_t>& graph) {
  std::unordered_map<pid_t, double> before;
  for (const ThreadClock& t : begin) before[t.tid] = t.cpu_s;
  std::map<std::string, ThreadCpu> groups;
  for (const ThreadClock& t : end) {
    const auto was = before.find(t.tid);
    const double used = std::max(0.0, t.cpu_s - (was != before.end() ? was->second : 0.0));
    const std::string name = graph.count(t.tid) ? kGraphThreads : t.name;
    ThreadCpu& g = groups[name];
    g.name = name;
    g.threads += 1;
    g.cpu_s += used;
  }
  std::vector<ThreadCpu> out;
  for (auto& [name, g] : groups) out.push_back(std::move(g));
  std::stable_sort(out.begin(), out.end(), [](const ThreadCpu& a, const ThreadCpu& b) { return a.cpu_s > b.cpu_s; });
  return out;
}

double core_wait_of(const std::vector<ThreadClock>& begin, const std::vector<ThreadClock>& end,
                    const std::unordered_set<pid_t>& graph) {
  std::unordered_map<pid_t, double> before;
  for (const ThreadClock& t : begin) before[t.tid] = t.core_wait_s;
  double waited = 0;
  for (const ThreadClock& t : end) {
    if (!graph.count(t.tid)) continue;
    const auto was = before.find(t.tid);
    const double from = was != before.end() ? was->second : 0.0;
    if (t.core_wait_s < 0 || from < 0) return -1;
    waited += std::max(0.0, t.core_wait_s - from);
  }
  return waited;
}

}  // namespace feedgraph::detail
