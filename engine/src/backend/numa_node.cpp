#include "backend/numa_node.hpp"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <cctype>
#include <exception>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace feedgraph::detail {
namespace {

std::string first_line(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

}  // namespace

int numa_node_count(const std::string& sysfs) {
  std::error_code ec;
  int nodes = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path(sysfs) / "devices/system/node", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > 4 && name.compare(0, 4, "node") == 0 &&
        std::all_of(name.begin() + 4, name.end(), [](unsigned char c) { return std::isdigit(c) != 0; }))
      ++nodes;
  }
  return std::max(1, nodes);
}

int pci_numa_node(const std::string& bus_id, const std::string& sysfs) {
  std::string id = bus_id;
  std::transform(id.begin(), id.end(), id.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const std::string text = first_line(std::filesystem::path(sysfs) / "bus/pci/devices" / id / "numa_node");
  try {
    std::size_t used = 0;
    const int node = std::stoi(text, &used);
    return used > 0 && node >= 0 ? node : -1;
  } catch (const std::exception&) {
    return -1;
  }
}

std::vector<int> numa_node_cpus(int node, const std::string& sysfs) {
  std::vector<int> cpus;
  if (node < 0) return cpus;
  std::stringstream list(first_line(std::filesystem::path(sysfs) / "devices/system/node" /
                                    ("node" + std::to_string(node)) / "cpulist"));
  std::string range;
  try {
    while (std::getline(list, range, ',')) {
      if (range.empty()) continue;
      const auto dash = range.find('-');
      const int first = std::stoi(range.substr(0, dash));
      const int last = dash == std::string::npos ? first : std::stoi(range.substr(dash + 1));
      for (int c = first; c <= last && c < CPU_SETSIZE; ++c) cpus.push_back(c);
    }
  } catch (const std::exception&) {
    return {};
  }
  return cpus;
}

void run_bound_to(const std::vector<int>& cpus, const std::function<void()>& fn) {
  if (cpus.empty()) return fn();
  std::exception_ptr failure;
  std::thread worker([&] {
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int c : cpus)
      if (c >= 0 && c < CPU_SETSIZE) CPU_SET(c, &set);
    // Refused (a CPU outside this process's cpuset, say): the allocation still happens, wherever it runs.
    (void)pthread_setaffinity_np(pthread_self(), sizeof set, &set);
    try {
      fn();
    } catch (...) {
      failure = std::current_exception();
    }
  });
  worker.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace feedgraph::detail
