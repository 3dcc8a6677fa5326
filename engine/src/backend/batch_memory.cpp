#include "backend/batch_memory.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

namespace feedgraph::detail {

std::byte* allocate_batch_memory(std::size_t bytes) {
  constexpr std::size_t kPage = 4096, kHugePage = 2u << 20;
  // Only the start is aligned to a huge page: the size is rounded to small pages, so a batch just over a
  // multiple of 2 MiB does not take up to 2 MiB more (its tail is on small pages). posix_memalign, not
  // aligned_alloc, which wants the size to be a multiple of the alignment.
  const std::size_t align = bytes >= kHugePage ? kHugePage : kPage;
  const std::size_t rounded = std::max(kPage, (bytes + kPage - 1) / kPage * kPage);
  void* p = nullptr;
  if (::posix_memalign(&p, align, rounded) != 0) throw std::bad_alloc();  // the run's allocate() names what did not fit
  // Before the first touch, which is when the kernel picks the page size.
  if (align == kHugePage) (void)::madvise(p, rounded, MADV_HUGEPAGE);
  std::memset(p, 0, rounded);
  return static_cast<std::byte*>(p);
}

}  // namespace feedgraph::detail
