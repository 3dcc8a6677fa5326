// Where a GPU sits among NUMA nodes (backend/numa_node.hpp): sysfs read from a tree made here, and an
// allocation run on a thread bound to the CPUs asked for.
#include <doctest/doctest.h>
#include <sched.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "../temp_dir.hpp"
#include "backend/numa_node.hpp"

using namespace feedgraph::detail;
namespace fs = std::filesystem;

namespace {
void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}
}  // namespace

TEST_SUITE("probe") {

TEST_CASE("a GPU's NUMA node and that node's CPUs are read from sysfs") {
  fgtest::TempDir dir("numa-sysfs");
  const std::string sysfs = dir / "sys";
  CHECK(numa_node_count(sysfs) == 1);  // nothing listed: one node
  write(fs::path(sysfs) / "devices/system/node/node0/cpulist", "0-3,8-11\n");
  write(fs::path(sysfs) / "devices/system/node/node1/cpulist", "4-7,12\n");
  write(fs::path(sysfs) / "devices/system/node/possible", "0-1\n");  // not a node
  write(fs::path(sysfs) / "bus/pci/devices/0000:3b:00.0/numa_node", "1\n");
  write(fs::path(sysfs) / "bus/pci/devices/0000:1a:00.0/numa_node", "-1\n");
  CHECK(numa_node_count(sysfs) == 2);
  CHECK(pci_numa_node("0000:3B:00.0", sysfs) == 1);  // CUDA writes the bus id in capitals
  CHECK(pci_numa_node("0000:1A:00.0", sysfs) == -1);  // a BIOS that does not say
  CHECK(pci_numa_node("0000:99:00.0", sysfs) == -1);
  CHECK(numa_node_cpus(1, sysfs) == std::vector<int>{4, 5, 6, 7, 12});
  CHECK(numa_node_cpus(0, sysfs) == std::vector<int>{0, 1, 2, 3, 8, 9, 10, 11});
  CHECK(numa_node_cpus(2, sysfs).empty());
  CHECK(numa_node_cpus(-1, sysfs).empty());
}

TEST_CASE("an allocation bound to a node's CPUs runs on them and its error reaches the caller") {
  int ran_on = -1;
  run_bound_to({0}, [&] { ran_on = sched_getcpu(); });
  CHECK(ran_on == 0);
  CHECK_THROWS_WITH_AS(run_bound_to({0}, [] { throw std::runtime_error("refused"); }), "refused", std::runtime_error);
  bool inline_ran = false;
  run_bound_to({}, [&] { inline_ran = true; });
  CHECK(inline_ran);
}

}  // TEST_SUITE
