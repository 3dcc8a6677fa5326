// Batch memory: whole pages, zeroed, and on huge pages where the kernel offers them for the asking.
#include <doctest/doctest.h>

#include <cstdint>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "backend/batch_memory.hpp"

using feedgraph::detail::allocate_batch_memory;
using feedgraph::detail::FreeBatchMemory;

namespace {

std::uintptr_t address(const std::byte* p) { return reinterpret_cast<std::uintptr_t>(p); }

bool all_zero(const std::byte* p, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    if (p[i] != std::byte{0}) return false;
  return true;
}

/// The transparent-huge-page mode the kernel is in: "always", "madvise", "never", or "" where it has none.
std::string thp_mode() {
  std::ifstream f("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string line;
  std::getline(f, line);
  const auto open = line.find('['), close = line.find(']');
  return open == std::string::npos || close == std::string::npos ? "" : line.substr(open + 1, close - open - 1);
}

/// AnonHugePages of the mapping that holds `p`, in KiB, from /proc/self/smaps.
long huge_kib_at(const std::byte* p) {
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    std::uintptr_t lo = 0, hi = 0;
    char dash = 0;
    std::istringstream head(line);
    if (head >> std::hex >> lo >> dash >> hi && dash == '-') {
      inside = address(p) >= lo && address(p) < hi;
    } else if (inside && line.rfind("AnonHugePages:", 0) == 0) {
      return std::stol(line.substr(14));
    }
  }
  return -1;
}

}  // namespace

TEST_SUITE_BEGIN("memory");

TEST_CASE("batch memory is whole zeroed pages / 2 MiB-aligned from 2 MiB up") {
  for (std::size_t bytes : {std::size_t{1}, std::size_t{4095}, std::size_t{150528}, std::size_t{2} << 20,
                            (std::size_t{48} << 20) + 17}) {
    CAPTURE(bytes);
    std::unique_ptr<std::byte, FreeBatchMemory> p(allocate_batch_memory(bytes));
    REQUIRE(p);
    CHECK(address(p.get()) % 4096 == 0);
    if (bytes >= (std::size_t{2} << 20)) CHECK(address(p.get()) % (std::size_t{2} << 20) == 0);
    CHECK(all_zero(p.get(), bytes));
  }
}

TEST_CASE("a large batch buffer is on transparent huge pages where the kernel gives them on request") {
  const std::string mode = thp_mode();
  if (mode != "always" && mode != "madvise") {
    MESSAGE("transparent huge pages are '" << mode << "' here: nothing to check");
    return;
  }
  const std::size_t bytes = std::size_t{16} << 20;
  std::unique_ptr<std::byte, FreeBatchMemory> p(allocate_batch_memory(bytes));
  CHECK(huge_kib_at(p.get()) > 0);
}

TEST_SUITE_END();
