// transfer-bound: 64 MiB batches of cheap data; the H2D copy is the work. Bound: the raw pinned copy loop
// at the same size, measured in the same process.
#include "runner/scenario.hpp"

namespace feedgraph::bench {

Scenario transfer_bound_scenario() {
  return {"transfer-bound", "transfer-bound.yaml", "the link: delivered H2D rate against the raw pinned copy loop",
          false, true, transfer_bound};
}

}  // namespace feedgraph::bench
