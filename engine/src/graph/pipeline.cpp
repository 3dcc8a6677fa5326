// The free entry points of feedgraph/pipeline.hpp: each is a Pipeline built for one call.
#include "feedgraph/pipeline.hpp"

namespace feedgraph {

Plan plan(const PipelineSpec& spec) { return Pipeline(spec, {.tune_auto = false}).plan(); }

RunStats run(const PipelineSpec& spec, const RunOptions& options) {
  return Pipeline(spec, {.tune_auto = false}).run(options);
}

const char* version() noexcept { return FEEDGRAPH_VERSION; }

}  // namespace feedgraph
