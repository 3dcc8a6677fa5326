#pragma once
// What each of the five input-pipeline techniques of PyTorch's DataLoader guides buys on this machine (`feedgraph ablate`).
//
//   auto pipeline = feedgraph::Pipeline::from_file("graphs/seed.yaml");
//   for (const auto& step : feedgraph::ablation_plan(pipeline.spec())) std::cout << step.label << "\n";
//   auto rows = feedgraph::ablate(pipeline, 3, [](const feedgraph::AblationRow& row) {
//     std::cerr << row.step.label << ": " << row.median << " samples/s\n";
//   });
//   std::cout << "all techniques: " << rows[5].cumulative_speedup << "x over the serial twin\n";
//
// The plan has 11 rows: the serial twin; the five techniques added one at a time, cumulatively, in the order
// PyTorch's guides list them (pinned memory, non_blocking, workers, prefetch, copy stream), the last of which
// is the full graph; then the full graph with each technique removed, one at a time. Adding in one order credits a
// technique with what it unlocks for the ones before it (workers buy little until prefetch lets several
// batches be in flight), so the remove rows are there to say what each one is worth with all the others on.
// Every row is a RunSettings value: the pipeline is built once and run with each.
#include <functional>
#include <string>
#include <vector>

#include "feedgraph/pipeline.hpp"
#include "feedgraph/settings.hpp"
#include "feedgraph/spec.hpp"
#include "feedgraph/stats.hpp"

namespace feedgraph {

/// One row of the ablation: a variant of the full graph and the speedup claimed for its technique.
struct AblationStep {
  std::string label;      ///< "serial twin", "+ pinned", "+ copy stream = full graph", "full − workers", ...
  std::string technique;  ///< pinned | non_blocking | workers | prefetch | copy_stream; "" for the twin
  /// baseline: the serial twin. add: one more technique on top of the row before. full: the last technique
  /// added, which makes the full graph (a step like add, and the reference of the remove rows). remove: the
  /// full graph without one technique.
  enum class Kind { baseline, add, remove, full };
  Kind kind = Kind::baseline;
  RunSettings settings;      ///< the row's settings
  std::string claim;         ///< the speedup claimed for the technique ("1.5-2x"); "" for the twin
  bool already_off = false;  ///< the file has the technique off, so this row equals its neighbour
};

/// "baseline" | "add" | "remove" | "full"
const char* to_string(AblationStep::Kind kind) noexcept;

/// The 11 rows, in order (see the top of this header). Every row but the twin keeps the full graph's
/// `buffers` (explicit sizes stay, derived ones follow the row's own concurrency); the twin's are
/// RunSettings::serial()'s. A technique the file already has off still gets its two rows, labelled
/// "(already off in FILE)", so that the table always has the same shape. Throws nothing.
std::vector<AblationStep> ablation_plan(const PipelineSpec& spec, const RunSettings& full);
/// The rows for the file's own settings: ablation_plan(spec, RunSettings::of(spec)). Throws nothing.
std::vector<AblationStep> ablation_plan(const PipelineSpec& spec);

/// One row, measured.
struct AblationRow {
  AblationStep step;
  std::vector<double> samples_per_s;  ///< one per repetition, in the order they ran
  double median = 0, min = 0, max = 0;
  /// add / full rows: this row's median over the previous cumulative row's (what adding the technique
  /// bought, > 1 is a gain). remove rows: the full graph's median over this row's (what the technique is
  /// worth with every other one on: the factor lost without it, > 1 means it helps). The twin: 1.
  double step_speedup = 1;
  /// This row's median over the serial twin's, for every row (the twin's is 1). NaN when a median is 0.
  double cumulative_speedup = 1;
  RunStats last;  ///< the last repetition's full report (verdict, nodes, ...)
};

/// Run every row of ablation_plan(full) `repetitions` times (at least 3, else throws Error) and return the
/// rows in plan order. Every row is planned before the first run, so a row over the memory budget fails
/// before any time is spent. `on_row` is called once per row as soon as its last repetition has finished
/// and its speedups can be computed, in plan order. `on_run` (optional) after every single run, for a
/// progress display: the step, the 0-based index of the run and the number of runs in all. Throws Error for
/// fewer than 3 repetitions, what Pipeline::plan throws for a row (before any run: over the memory budget, a
/// key still `auto`), what a run throws, and what `on_row` or `on_run` throws, as thrown.
std::vector<AblationRow> ablate(
    Pipeline& pipeline, int repetitions, const std::function<void(const AblationRow&)>& on_row = {},
    const std::function<void(const AblationStep&, int run_index, int runs, const RunStats&)>& on_run = {});
/// The same for a spec, built once (its `auto` keys must have numbers). Throws what building a Pipeline
/// throws, then as above.
std::vector<AblationRow> ablate(
    const PipelineSpec& full, int repetitions, const std::function<void(const AblationRow&)>& on_row = {},
    const std::function<void(const AblationStep&, int run_index, int runs, const RunStats&)>& on_run = {});

}  // namespace feedgraph
