#pragma once
// What the `feedgraph` command prints and writes, built from a spec, a plan and RunStats alone, so that
// tests can pin down the report and the `--json` contract without running a pipeline.
//
//   auto stats = feedgraph::run(spec);
//   std::cout << feedgraph::cli::run_text(stats);
//   feedgraph::cli::write_json_file("out.json", feedgraph::cli::report_json({stats}, false));
//
// Link `feedgraph_cli_report` and include "cli/report.hpp".
#include <cstddef>
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
// ordered_json keeps keys in the order the README lists them, so the file reads like the contract.

/// The pinned H2D rate this machine reaches at a cuda run's batch size (feedgraph::pinned_h2d_ceiling_gbps),
/// measured after the runs; a run's delivered H2D GB/s is reported as a fraction of it.
struct H2dCeiling {
  double gbps = 0;
  std::size_t bytes = 0;  ///< the transfer size it was measured at: the run's batch
};
/// One entry per run, in run order; nullopt where none applies (host runs) or it could not be measured.
using H2dCeilings = std::vector<std::optional<H2dCeiling>>;

nlohmann::ordered_json node_json(const NodeStats& node);
/// With a ceiling, adds `h2d_ceiling_gbps`, `h2d_ceiling_bytes` and `h2d_fraction_of_ceiling` after `h2d_gbps`.
nlohmann::ordered_json run_json(const RunStats& run, const std::optional<H2dCeiling>& ceiling = std::nullopt);
/// The whole `--json` document: version, device (from the first run), runs and, when `with_speedup`,
/// the last run's samples/s over the first's (null when undefined). `ceilings`: empty, or one per run.
nlohmann::ordered_json report_json(const std::vector<RunStats>& runs, bool with_speedup,
                                   const H2dCeilings& ceilings = {});
/// What `validate` says of a plan, as data: graph, variant, backend, device, layouts (transfer, compute,
/// source), batch size and bytes, samples, batches, epochs, shard, settings and the memory plan.
nlohmann::ordered_json plan_json(const PipelineSpec& spec, const Plan& plan);
/// Throws feedgraph::Error naming the path when the file cannot be written completely.
void write_json_file(const std::string& path, const nlohmann::ordered_json& document);

// --- Text (text_report.cpp); every function returns whole lines, each ending in '\n' ---------------

/// The run `plan` describes, for `spec` (its name and batch size):
/// "seed (concurrent) on cuda: NVIDIA H100 80GB HBM3 — 16 batches of 256 × 3x256x256 float32, peak memory
/// 1.77 GiB (host 768 MiB, pinned 576 MiB, device 384 MiB)"
std::string plan_line(const PipelineSpec& spec, const Plan& plan);
/// The metrics block, the node table and the verdict of one run.
std::string run_text(const RunStats& run);
/// Side by side: samples/s, H2D GB/s and GPU idle of both runs, then "speedup: 4.21x".
std::string comparison_text(const RunStats& first, const RunStats& second);
/// One line per run that has a ceiling: "  H2D 12.40 GB/s delivered = 24% of the pinned ceiling (52.1 GB/s
/// at 64.00 MiB)", labelled with the run's variant or graph when there are several; "" when none has one.
std::string ceiling_text(const std::vector<RunStats>& runs, const H2dCeilings& ceilings);
/// What `feedgraph validate` prints before "ok".
std::string validate_text(const PipelineSpec& spec, const Plan& plan);

}  // namespace feedgraph::cli
