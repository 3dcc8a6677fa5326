// seed: the reference workload (batch 256 of 3x256x256 float32, matmul at 4.78e11 FLOP per batch).
// Bound: the tightest of the host stages, the link and the compute stream.
#include <algorithm>

#include "runner/scenario.hpp"

namespace feedgraph::bench {

Scenario seed_scenario() {
  return {"seed", "seed.yaml", "the reference workload: every technique on against the serial twin", false, true,
          [](const BoundInputs& in) {
            Bound b = stage_bound(in);
            for (const Bound& other : {transfer_bound(in), compute_bound(in)})
              if (other.samples_per_s > 0 && (b.samples_per_s <= 0 || other.samples_per_s < b.samples_per_s)) b = other;
            return b;
          }};
}

}  // namespace feedgraph::bench
