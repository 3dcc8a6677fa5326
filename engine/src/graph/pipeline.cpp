// The public entry points of feedgraph/pipeline.hpp.
#include "feedgraph/pipeline.hpp"

#include "graph/assembly.hpp"
#include "graph/graph_run.hpp"

namespace feedgraph {

Plan plan(const PipelineSpec& spec) { return detail::assemble(spec)->plan; }

RunStats run(const PipelineSpec& spec, const RunOptions& options) {
  auto assembly = detail::assemble(spec);
  return detail::run_assembly(*assembly, options);
}

const char* version() noexcept { return FEEDGRAPH_VERSION; }

}  // namespace feedgraph
