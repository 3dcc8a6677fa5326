#pragma once
// When each batch passed each node: plain data the graph fills during a run and the report reads after it.
// It lives below the graph, so that the report needs nothing of the graph's.
#include <cstdint>

namespace feedgraph::detail {

/// Per ticket, on the run clock (seconds); filled by the nodes, read after the run.
struct TicketTimes {
  double read_begin = 0, read_end = 0, transform_begin = 0, transform_end = 0, pin_begin = 0, pin_end = 0;
  double copy_begin = 0, copy_end = 0, compute_begin = 0, compute_end = 0, done = 0;
  int read_lane = 0, transform_lane = 0, pin_lane = 0;
  std::int64_t samples = 0;  // delivered to compute
  std::uint64_t bytes = 0;   // that crossed the link
};

}  // namespace feedgraph::detail
