#include "backend/live_counts.hpp"

#include <pthread.h>

#include <fmt/format.h>

#include "feedgraph/resources.hpp"

namespace feedgraph {
namespace detail {
namespace {
std::atomic<std::int64_t> counts[static_cast<int>(Counted::count)];
}  // namespace

void count_up(Counted what) noexcept { counts[static_cast<int>(what)].fetch_add(1, std::memory_order_relaxed); }
void count_down(Counted what) noexcept { counts[static_cast<int>(what)].fetch_sub(1, std::memory_order_relaxed); }

void name_this_thread(std::string_view name) noexcept {
  char text[16] = {};  // Linux keeps 15 characters and the terminator
  name.copy(text, sizeof(text) - 1);
  (void)pthread_setname_np(pthread_self(), text);
}

}  // namespace detail

LiveResources live_resources() noexcept {
  using detail::Counted;
  auto get = [](Counted c) { return detail::counts[static_cast<int>(c)].load(std::memory_order_acquire); };
  return LiveResources{get(Counted::run), get(Counted::thread), get(Counted::pinned), get(Counted::device),
                       get(Counted::cuda_handle)};
}

std::string LiveResources::text() const {
  return fmt::format("runs {}, threads {}, pinned {}, device {}, cuda handles {}", runs, threads, pinned_allocations,
                     device_allocations, cuda_handles);
}

}  // namespace feedgraph
