// cpu-bound: every sample costs 200 us of CPU in read. Bound: the slowest stage's service time (measured
// in the serial twin) over its concurrency.
#include "runner/scenario.hpp"

namespace feedgraph::bench {

Scenario cpu_bound_scenario() {
  return {"cpu-bound", "cpu-bound.yaml", "host work: parallel readers against the slowest stage's service time",
          false, true, stage_bound};
}

}  // namespace feedgraph::bench
