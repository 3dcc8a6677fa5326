#include "memory/batch_memory.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <new>

namespace feedgraph::detail {

std::byte* allocate_batch_memory(std::size_t bytes) {
  constexpr std::size_t kPage = 4096, kHugePage = 2u << 20;
  const std::size_t align = bytes >= kHugePage ? kHugePage : kPage;
  const std::size_t rounded = std::max(align, (bytes + align - 1) / align * align);
  auto* p = static_cast<std::byte*>(std::aligned_alloc(align, rounded));
  if (!p) throw std::bad_alloc();  // as operator new: the run's allocate() names what did not fit
  // Before the first touch, which is when the kernel picks the page size.
  if (align == kHugePage) (void)::madvise(p, rounded, MADV_HUGEPAGE);
  std::memset(p, 0, rounded);
  return p;
}

}  // namespace feedgraph::detail
