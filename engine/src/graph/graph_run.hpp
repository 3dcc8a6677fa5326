#pragma once
// One run of one pipeline: allocates every buffer, builds the oneTBB flow graph, runs it, and hands the
// measurements to the report. A fresh GraphRun (and a fresh tbb::flow::graph) per run: a cancelled graph
// drops later messages, so graphs are never reused.
#include "feedgraph/pipeline.hpp"
#include "graph/assembly.hpp"

namespace feedgraph::detail {

RunStats run_assembly(Assembly& assembly, const RunSettings& settings, const RunOptions& options);

}  // namespace feedgraph::detail
