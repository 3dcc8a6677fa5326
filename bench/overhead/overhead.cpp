// overhead: empty stages (8-byte samples, batch 1, no verify) on the host backend: what the graph itself
// costs per batch, in batches/s through every node, token pool and stream stand-in.
#include "runner/scenario.hpp"

namespace feedgraph::bench {

Scenario overhead_scenario() {
  return {"overhead", "overhead.yaml", "the engine's own cost: batches/s through the full graph, empty stages",
          true, false, no_bound};
}

}  // namespace feedgraph::bench
