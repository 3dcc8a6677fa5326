#pragma once
// The `faults:` section of a pipeline file: failures a run injects on purpose.
#include <vector>

#include "feedgraph/spec.hpp"
#include "spec/yaml_values.hpp"

namespace feedgraph::detail {

/// A sequence of faults; each is checked for the keys its kind needs, and only those.
std::vector<FaultSpec> read_faults(const ValueAt& value);

}  // namespace feedgraph::detail
