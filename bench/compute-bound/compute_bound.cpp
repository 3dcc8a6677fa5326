// compute-bound: a 20 ms kernel per batch. Bound: the compute stream alone; the graph should keep it busy.
#include "runner/scenario.hpp"

namespace feedgraph::bench {

Scenario compute_bound_scenario() {
  return {"compute-bound", "compute-bound.yaml", "the GPU: the compute stream kept busy", false, true, compute_bound};
}

}  // namespace feedgraph::bench
