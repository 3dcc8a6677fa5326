#pragma once
// The order in which a run's timeline lanes are shown, shared by the Chrome trace and the SVG so that both
// read top to bottom like the pipeline: read, transform, pin workers (each by worker index), then the
// streams (copy before compute).
#include <string>
#include <string_view>
#include <vector>

#include "feedgraph/stats.hpp"

namespace feedgraph::detail {

/// Position of a node in the pipeline: read 0, transform 1, pin 2, copy 3, compute 4; other names after.
int node_rank(std::string_view node);

/// The distinct lanes of `timeline` in display order: node worker lanes ("transform/3") by node then worker
/// index, then the streams ("copy stream", "compute stream"), then any other lane by name.
std::vector<std::string> ordered_lanes(const std::vector<TimelineSpan>& timeline);

/// The distinct nodes of `timeline` in pipeline order.
std::vector<std::string> ordered_nodes(const std::vector<TimelineSpan>& timeline);

}  // namespace feedgraph::detail
