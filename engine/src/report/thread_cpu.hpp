#pragma once
// The host CPU of a run by thread: every thread of the process is read at the start of the run's wall and at
// its end, from the kernel's per-thread CPU clock, and named from /proc (the engine names its own, "fg-...",
// and tells them from threads that inherited such a name; the CUDA runtime's and libraries' carry their own).
// The threads that ran the graph (graph/graph_threads.hpp) are one group, whatever their names; the others
// group by name. Linux only; where /proc cannot be read the breakdown is empty.
#include <sys/types.h>

#include <string>
#include <unordered_set>
#include <vector>

#include "feedgraph/stats.hpp"

namespace feedgraph::detail {

/// One thread at one moment: its id, its name, the CPU seconds it has used, and the seconds it has spent ready
/// to run but waiting for a core (the scheduler's run delay, /proc's schedstat; -1 where the kernel keeps none).
struct ThreadClock {
  pid_t tid = 0;
  std::string name;
  double cpu_s = 0;
  double core_wait_s = -1;
};

/// Every thread of the process now, named where `named` (a read of /proc per thread; "started by fg-..." for a
/// thread that inherited an engine thread's name; cpu_by_thread() takes the names from its `end` sample
/// alone). Throws nothing: a thread that ends while it is read is left out.
enum class Named : bool { no, yes };
std::vector<ThreadClock> sample_process_threads(Named named) noexcept;

/// The calling thread's id (gettid).
pid_t this_thread_id() noexcept;

/// The engine's named threads (CountedThread): a thread notes itself before it takes its name (returning its
/// id), and is forgotten once joined. Why: a thread starts with the name of the thread that started it, so a
/// oneTBB worker that the pulling thread woke first is called "fg-pull-graph" too. sample_process_threads()
/// names a thread that carries an engine name ("fg-...") but is not noted "started by fg-pull-graph", and its
/// CPU is not shown as that thread's.
pid_t note_named_thread() noexcept;
void forget_named_thread(pid_t id) noexcept;

/// The CPU each thread used between two samples, grouped: the threads in `graph` as kGraphThreads, the others
/// by their name in `end`; largest first. A thread gone by `end` is left out (its CPU stays in the process's RunStats::cpu_s);
/// one started after `begin` counts from zero.
std::vector<ThreadCpu> cpu_by_thread(const std::vector<ThreadClock>& begin, const std::vector<ThreadClock>& end,
                                     const std::unordered_set<pid_t>& graph);

/// The seconds the threads in `graph` spent ready to run but waiting for a core between two samples: time off
/// a core that was not sleep (storage, a lock) but other threads' turn. -1 where a sample has no run delay.
double core_wait_of(const std::vector<ThreadClock>& begin, const std::vector<ThreadClock>& end,
                    const std::unordered_set<pid_t>& graph);

/// The name of the group of threads that ran the graph's nodes.
inline constexpr const char* kGraphThreads = "graph";

}  // namespace feedgraph::detail
