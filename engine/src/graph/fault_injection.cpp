// `faults:` (PipelineSpec::faults): failures a run injects on purpose. Each one goes through the path the
// real failure would take — a throwing body through guarded(), a trap through the compute stream's
// completion status, a refused allocation through the allocation's own error, a vanished file through the
// source's DataError and `on_error` — so a test of a fault is a test of the engine's handling of the real thing.
#include <chrono>
#include <new>
#include <thread>

#include "graph/graph_run_impl.hpp"

namespace feedgraph::detail {

void GraphRun::inject(Node node, Msg m) {
  for (const FaultSpec& f : spec_.faults) {
    if (f.node != node_name(node) || f.batch != m->ticket) continue;
    if (f.kind == FaultSpec::Kind::throw_error)
      throw std::runtime_error("injected fault in " + f.node + " at batch " + std::to_string(f.batch));
    if (f.kind != FaultSpec::Kind::stall) continue;
    // A stall makes no progress: with no `seconds`, until the watchdog gives up on the run; with them, for
    // that long (shorter than watchdog_s, the run must go on and deliver everything).
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(f.seconds);
    while (!failed_.load() && (f.seconds <= 0 || std::chrono::steady_clock::now() < until))
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

void GraphRun::inject_device_faults(int slot, Msg m) {
  bool trap = false;
  double delay = 0;
  for (const FaultSpec& f : spec_.faults) {
    if (f.kind == FaultSpec::Kind::trap && f.batch == m->ticket) trap = true;
    if (f.kind == FaultSpec::Kind::slow_consumer && m->ticket >= f.batch) delay += f.seconds;
  }
  if (trap || delay > 0) backend_->inject_fault(slot, trap, delay);
}

void GraphRun::refuse_if_injected(const char* memory, std::size_t bytes) const {
  for (const FaultSpec& f : spec_.faults) {
    if (f.kind != FaultSpec::Kind::refuse_alloc || f.memory != memory) continue;
    // Page-locked and device memory come from the CUDA runtime on cuda, which answers with a status.
    if (backend_->kind() == BackendKind::cuda && f.memory != "host")
      throw CudaError(std::string(f.memory == "pinned" ? "cudaHostAlloc" : "cudaMalloc") + "(" + std::to_string(bytes) +
                          " bytes) [injected: faults: refuse_alloc]",
                      2, "cudaErrorMemoryAllocation", "out of memory");
    throw std::bad_alloc();  // what operator new and the host stand-in's allocations throw
  }
}

bool GraphRun::vanished(Msg m) const {
  for (const FaultSpec& f : spec_.faults)
    if (f.kind == FaultSpec::Kind::vanish && m->ticket >= f.batch) return true;
  return false;
}

DataError GraphRun::vanished_error(std::int64_t id) const {
  return DataError(a_.source->where(id), "No such file or directory [injected: faults: vanish]");
}

}  // namespace feedgraph::detail
