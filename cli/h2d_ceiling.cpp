// run and compare: the pinned H2D ceiling at each cuda run's batch size, measured once per (device, size).
#include "cli/h2d_ceiling.hpp"

#include <cstddef>
#include <map>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "feedgraph/errors.hpp"
#include "feedgraph/tools/probe.hpp"

namespace feedgraph::cli {

H2dCeilings measure_h2d_ceilings(const std::vector<Plan>& plans) {
  H2dCeilings ceilings(plans.size());
  // compare runs a file and its serial twin at one batch size: one measurement serves both.
  std::map<std::pair<int, std::size_t>, std::optional<H2dCeiling>> measured;
  for (std::size_t i = 0; i < plans.size(); ++i) {
    const Plan& plan = plans[i];
    if (plan.backend != "cuda" || plan.batch_bytes == 0) continue;
    const auto key = std::make_pair(plan.device_index, plan.batch_bytes);
    auto found = measured.find(key);
    if (found == measured.end()) {
      std::optional<H2dCeiling> ceiling;
      try {
        ceiling = H2dCeiling{pinned_h2d_ceiling_gbps(plan.device_index, plan.batch_bytes), plan.batch_bytes};
      } catch (const Error& e) {
        fmt::print(stderr, "feedgraph: warning: no pinned H2D ceiling at {}: {}\n", format_bytes(plan.batch_bytes),
                   e.what());
      }
      found = measured.emplace(key, ceiling).first;
    }
    ceilings[i] = found->second;
  }
  return ceilings;
}

}  // namespace feedgraph::cli
