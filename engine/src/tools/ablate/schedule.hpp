#pragma once
// The order in which `ablate` runs its rows (feedgraph/ablate.hpp); in a header of its own so tests can pin
// it down.
#include <vector>

namespace feedgraph::detail {

/// Row indices in run order: `repetitions` rounds, each running every row once, alternating direction so
/// that the last round runs forward (0, 1, ..., rows - 1).
///
/// Why interleaved: a machine drifts during a long ablation (clocks and temperature, the page cache, other
/// tenants of a shared host). Running a row's repetitions back to back would hand all of one period's noise
/// to that row and bias the comparison between rows; spread over rounds, every row samples every period.
/// Alternating direction (0..n, n..0, 0..n) also cancels a steady trend across a pair of rounds, and keeps
/// the very first run of the process, which pays one-time warm-up costs, to a single repetition of one row,
/// where the median discards it. Ending on a forward round makes rows finish in plan order, so each row's
/// speedups can be computed (its reference rows are done) and reported the moment it finishes.
inline std::vector<int> ablation_schedule(int rows, int repetitions) {
  std::vector<int> order;
  order.reserve(static_cast<std::size_t>(rows > 0 && repetitions > 0 ? rows * repetitions : 0));
  for (int round = 0; round < repetitions; ++round) {
    const bool forward = (repetitions - 1 - round) % 2 == 0;
    for (int i = 0; i < rows; ++i) order.push_back(forward ? i : rows - 1 - i);
  }
  return order;
}

}  // namespace feedgraph::detail
