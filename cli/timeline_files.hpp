#pragma once
// `--trace` and `--report`: the timeline of the runs a command made, written after them.
#include <string>
#include <vector>

#include "feedgraph/stats.hpp"

namespace feedgraph::cli {

/// Writes the Chrome trace of `runs` to `trace_path` and the SVG timeline to `report_path` (an empty path
/// writes nothing) and, unless `quiet`, says where each went. Throws feedgraph::Error naming the path when
/// a file cannot be written completely.
void write_timeline_files(const std::vector<RunStats>& runs, const std::string& trace_path,
                          const std::string& report_path, bool quiet);

}  // namespace feedgraph::cli
