// The faults a run injects on purpose (fault_plan.hpp).
#include "graph/fault_plan.hpp"

#include <chrono>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>

#include "feedgraph/errors.hpp"

namespace feedgraph::detail {

void FaultPlan::strike(const char* node, std::int64_t ticket, const std::atomic<bool>& failed) const {
  for (const FaultSpec& f : faults_) {
    if (f.node != node || f.batch != ticket) continue;
    if (f.kind == FaultSpec::Kind::throw_error)
      throw std::runtime_error("injected fault in " + f.node + " at batch " + std::to_string(f.batch));
    if (f.kind != FaultSpec::Kind::stall) continue;
    // A stall makes no progress: with no `seconds`, until the watchdog gives up on the run; with them, for
    // that long (shorter than watchdog_s, the run must go on and deliver everything).
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(f.seconds);
    while (!failed.load() && (f.seconds <= 0 || std::chrono::steady_clock::now() < until))
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

FaultPlan::DeviceFault FaultPlan::on_device(std::int64_t ticket) const {
  DeviceFault d;
  for (const FaultSpec& f : faults_) {
    if (f.kind == FaultSpec::Kind::trap && f.batch == ticket) d.trap = true;
    if (f.kind == FaultSpec::Kind::slow_consumer && ticket >= f.batch) d.delay_s += f.seconds;
  }
  return d;
}

void FaultPlan::refuse_if_injected(const char* memory, std::size_t bytes, BackendKind backend) const {
  for (const FaultSpec& f : faults_) {
    if (f.kind != FaultSpec::Kind::refuse_alloc || f.memory != memory) continue;
    // Page-locked and device memory come from the CUDA runtime on cuda, which answers with a status.
    if (backend == BackendKind::cuda && f.memory != "host")
      throw CudaError(std::string(f.memory == "pinned" ? "cudaHostAlloc" : "cudaMalloc") + "(" + std::to_string(bytes) +
                          " bytes) [injected: faults: refuse_alloc]",
                      2, "cudaErrorMemoryAllocation", "out of memory");
    throw std::bad_alloc();  // what operator new and the host stand-in's allocations throw
  }
}

bool FaultPlan::vanished(std::int64_t ticket) const {
  for (const FaultSpec& f : faults_)
    if (f.kind == FaultSpec::Kind::vanish && ticket >= f.batch) return true;
  return false;
}

}  // namespace feedgraph::detail
