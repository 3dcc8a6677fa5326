#pragma once
// Host memory that holds whole batches: the graph's pageable batch buffers, and the host backend's stand-ins
// for page-locked and device memory.
#include <cstddef>
#include <cstdlib>

namespace feedgraph::detail {

/// `bytes` of memory, rounded up to whole pages, already touched (zeroed), so that the first batch through
/// it pays no page faults inside the timed run. Free it with std::free (FreeBatchMemory). Throws
/// std::bad_alloc when it does not fit.
///
/// Page-aligned, as cudaMalloc's and cudaHostAlloc's memory is, so that stages see the same alignment on
/// every backend. From 2 MiB up it is aligned to 2 MiB and asks for transparent huge pages (MADV_HUGEPAGE,
/// a hint: 4 KiB pages where THP is off): a batch is written by the transforms and read whole by the pin
/// copy or the stand-in's copy and checksum, and with 4 KiB pages each 4 KiB of that costs a TLB miss. On
/// the 2-core VM, JPEG decoding with two workers made 2% more samples/s with it (bench/RESULTS.md, session 6).
std::byte* allocate_batch_memory(std::size_t bytes);

struct FreeBatchMemory {
  void operator()(std::byte* p) const noexcept { std::free(p); }
};

}  // namespace feedgraph::detail
