#pragma once
// Where a GPU sits among the host's NUMA nodes, and running an allocation on that node's cores. A page-locked
// buffer's pages are placed where the thread that allocates them runs (the kernel's first-touch policy), and
// a host with several sockets reaches a GPU across the inter-socket link from the far one: the cuda backend
// allocates its pinned batch buffers on a thread bound to the GPU's own node. Read from Linux's sysfs, so no
// library is needed and a host without NUMA information (one node, or not Linux) simply skips it.
#include <functional>
#include <string>
#include <vector>

namespace feedgraph::detail {

/// How many NUMA nodes `sysfs`/devices/system/node lists (1 when it lists none).
int numa_node_count(const std::string& sysfs = "/sys");

/// The NUMA node of PCI function `bus_id` ("0000:3B:00.0", as cudaDeviceGetPCIBusId writes it; any case), from
/// `sysfs`/bus/pci/devices/<bus id>/numa_node; -1 when unknown.
int pci_numa_node(const std::string& bus_id, const std::string& sysfs = "/sys");

/// The CPUs of NUMA node `node`, from `sysfs`/devices/system/node/node<N>/cpulist ("0-15,32-47"); empty when
/// unknown.
std::vector<int> numa_node_cpus(int node, const std::string& sysfs = "/sys");

/// Runs `fn` on a thread of its own bound to `cpus` and waits for it, so that the memory `fn` allocates and
/// touches lands on their node; inline when `cpus` is empty or the binding is refused. Rethrows what `fn`
/// throws.
void run_bound_to(const std::vector<int>& cpus, const std::function<void()>& fn);

}  // namespace feedgraph::detail
