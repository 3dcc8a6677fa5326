#pragma once
// What the `feedgraph` command prints and writes, built from a spec, a plan and RunStats alone, so that
// tests can pin down the report and the `--json` contract (DESIGN §5) without running a pipeline.
//
//   auto stats = feedgraph::run(spec);
//   std::cout << feedgraph::cli::run_text(stats);
//   feedgraph::cli::write_json_file("out.json", feedgraph::cli::report_json({stats}, false));
//
// Link `feedgraph_cli_report` and include "cli/report.hpp".
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "feedgraph/pipeline.hpp"
#include "feedgraph/spec.hpp"
#include "feedgraph/stats.hpp"

namespace feedgraph::cli {

/// `second`'s samples/s over `first`'s; nullopt when `first` delivered nothing to divide by.
std::optional<double> speedup(const RunStats& first, const RunStats& second);

// --- JSON (json_report.cpp) -------------------------------------------------------------------------
// ordered_json keeps keys in the order DESIGN §5 lists them, so the file reads like the contract.

nlohmann::ordered_json node_json(const NodeStats& node);
nlohmann::ordered_json run_json(const RunStats& run);
/// The whole `--json` document: version, device (from the first run), runs and, when `with_speedup`,
/// the last run's samples/s over the first's (null when undefined).
nlohmann::ordered_json report_json(const std::vector<RunStats>& runs, bool with_speedup);
/// Throws feedgraph::Error naming the path when the file cannot be written completely.
void write_json_file(const std::string& path, const nlohmann::ordered_json& document);

// --- Text (text_report.cpp); every function returns whole lines, each ending in '\n' ---------------

/// "seed (concurrent) on cuda: NVIDIA H100 80GB HBM3 — 16 batches of 256 × 3x256x256 float32, peak memory
/// 1.77 GiB (host 768 MiB, pinned 576 MiB, device 384 MiB)"
std::string plan_line(const PipelineSpec& spec, const Plan& plan);
/// The metrics block, the node table and the verdict of one run.
std::string run_text(const RunStats& run);
/// Side by side: samples/s, H2D GB/s and GPU idle of both runs, then "speedup: 4.21x".
std::string comparison_text(const RunStats& first, const RunStats& second);
/// What `feedgraph validate` prints before "ok".
std::string validate_text(const PipelineSpec& spec, const Plan& plan);

}  // namespace feedgraph::cli
