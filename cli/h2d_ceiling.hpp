#pragma once
// The pinned H2D ceiling that run and compare report a cuda run's delivered H2D GB/s against.
#include <vector>

#include "cli/report.hpp"
#include "feedgraph/pipeline.hpp"

namespace feedgraph::cli {

/// For each plan on cuda, feedgraph::pinned_h2d_ceiling_gbps at its batch size; nullopt for host plans.
/// Call after the runs, so that the measurement does not compete with them. Each (device, size) is
/// measured once. A measurement that fails is a warning on stderr, not an error: the runs it would qualify
/// have already succeeded.
H2dCeilings measure_h2d_ceilings(const std::vector<Plan>& plans);

}  // namespace feedgraph::cli
