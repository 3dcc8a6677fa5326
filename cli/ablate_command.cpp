// `feedgraph ablate FILE`: what each of the five input-pipeline techniques of PyTorch's DataLoader guides buys on this machine. Runs the 11 rows of
// feedgraph::ablation_plan (the serial twin, the techniques added one at a time, each removed from the full
// graph) `--reps` times each and prints a table of medians, spreads, speedups and the speedups claimed for them.
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/interrupt.hpp"
#include "cli/report.hpp"
#include "feedgraph/tools/ablate.hpp"
#include "feedgraph/pipeline.hpp"
#include "feedgraph/spec.hpp"

namespace feedgraph::cli {
namespace {

/// Flushed at once, as in commands.cpp: progress goes to stderr and must not overtake the plan line.
void print(const std::string& text) {
  std::fputs(text.c_str(), stdout);
  std::fflush(stdout);
}

/// Columns are padded by hand because labels hold "−" and "—": width in code points, not bytes.
std::size_t display_width(std::string_view text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string pad_right(const std::string& text, std::size_t width) {
  const std::size_t w = display_width(text);
  return w >= width ? text : text + std::string(width - w, ' ');
}

std::string pad_left(const std::string& text, std::size_t width) {
  const std::size_t w = display_width(text);
  return w >= width ? text : std::string(width - w, ' ') + text;
}

std::string times(double factor) { return std::isfinite(factor) ? fmt::format("{:.2f}x", factor) : "n/a"; }

/// Half the range as a share of the median: the noise a step speedup has to clear to mean something.
std::string plus_minus(const AblationRow& row) {
  if (!(row.median > 0)) return "n/a";
  return fmt::format("±{:.1f}%", 50.0 * (row.max - row.min) / row.median);
}

/// "read 4, transform 4, pin 2; prefetch 4; pinned on, non_blocking on, copy_stream on"
std::string settings(const RunSettings& spec) {
  auto on_off = [](bool b) { return b ? "on" : "off"; };
  return fmt::format("read {}, transform {}, pin {}; prefetch {}; pinned {}, non_blocking {}, copy_stream {}",
                     spec.concurrency.read, spec.concurrency.transform, spec.concurrency.pin, spec.prefetch,
                     on_off(spec.transfer.pinned), on_off(spec.transfer.non_blocking),
                     on_off(spec.transfer.copy_stream));
}

std::string row_progress(const AblationRow& row, std::size_t index, std::size_t rows) {
  return fmt::format("[{:>2}/{}] {}: {:.1f} samples/s (median of {}, {:.1f}–{:.1f})\n", index + 1, rows,
                     row.step.label, row.median, row.samples_per_s.size(), row.min, row.max);
}

/// One line of the table, as text; the widths come from all the lines together.
using Cells = std::array<std::string, 7>;

/// With a few runs per row, ranges that overlap mean the step cannot be told from the machine's noise.
bool ranges_overlap(const AblationRow& a, const AblationRow& b) { return a.min <= b.max && b.min <= a.max; }

/// `reference`: the row this row's step is measured against (nullptr for the twin).
Cells row_cells(const AblationRow& row, const AblationRow* reference) {
  const bool twin = row.step.kind == AblationStep::Kind::baseline;
  const std::string noise = reference != nullptr && ranges_overlap(row, *reference) ? " ~" : "  ";
  return {row.step.label,
          fmt::format("{:.1f}", row.median),
          fmt::format("{:.1f}–{:.1f}", row.min, row.max),
          plus_minus(row),
          twin ? "—  " : times(row.step_speedup) + noise,
          times(row.cumulative_speedup),
          row.step.claim.empty() ? "—" : row.step.claim};
}

std::string table_text(const std::vector<AblationRow>& rows) {
  const Cells heading{"row", "samples/s", "min–max", "spread", "step  ", "cumulative", "claimed"};
  // Add rows are measured against the row above them, remove rows against the full graph (ablate.hpp).
  const AblationRow* full = nullptr;
  const AblationRow* above = nullptr;
  for (const auto& row : rows) {
    if (row.step.kind == AblationStep::Kind::full) full = &row;
  }
  std::vector<Cells> adding, removing;
  for (const auto& row : rows) {
    if (row.step.kind == AblationStep::Kind::remove) {
      removing.push_back(row_cells(row, full));
    } else {
      adding.push_back(row_cells(row, above));
      above = &row;
    }
  }

  std::array<std::size_t, 7> width{};
  for (const auto* group : {&adding, &removing}) {
    for (const auto& cells : *group) {
      for (std::size_t c = 0; c < cells.size(); ++c) width[c] = std::max(width[c], display_width(cells[c]));
    }
  }
  for (std::size_t c = 0; c < heading.size(); ++c) width[c] = std::max(width[c], display_width(heading[c]));

  // The label reads left to right, numbers line up on the right; the claim is last, so it needs no padding.
  auto line = [&](const Cells& cells) {
    std::string text = "  " + pad_right(cells[0], width[0]);
    for (std::size_t c = 1; c + 1 < cells.size(); ++c) text += "  " + pad_left(cells[c], width[c]);
    return text + "  " + cells.back() + "\n";
  };
  std::string out = line(heading);
  out += "adding one at a time, in the order PyTorch's guides list them (step = this row ÷ the row above):\n";
  for (const auto& cells : adding) out += line(cells);
  out += "removing one from the full graph (step = full graph ÷ this row: what the technique is worth with all the "
         "others on):\n";
  for (const auto& cells : removing) out += line(cells);
  return out;
}

std::string closing_text(const std::vector<AblationRow>& rows) {
  const auto full = std::find_if(rows.begin(), rows.end(),
                                 [](const AblationRow& r) { return r.step.kind == AblationStep::Kind::full; });
  if (full == rows.end()) return {};
  std::string out;
  auto it = std::back_inserter(out);
  fmt::format_to(it, "full graph: {} its serial twin (cumulative = this row ÷ the serial twin)\n",
                 times(full->cumulative_speedup));
  fmt::format_to(it, "each row: the median of {} runs, interleaved with the other rows; spread = half the min–max "
                     "range over the median; ~ = the two rows' ranges overlap: that step is within the noise\n",
                 full->samples_per_s.size());
  // The one thing the added-in-order half cannot show, and the question a reader asks first.
  out += "adding in order credits a technique with what it unlocks for the ones before it (workers need "
         "prefetch to have batches to work on); the removing half does not depend on the order\n";
  fmt::format_to(it, "verdict (full graph, last run): {}\n", full->last.verdict.empty() ? "(none)" : full->last.verdict);
  return out;
}

nlohmann::ordered_json ablation_json(const std::string& graph, int repetitions, const std::vector<AblationRow>& rows) {
  nlohmann::ordered_json document;
  document["feedgraph"] = feedgraph::version();
  // Every row runs on the one device the command was given, so the first row names it.
  document["device"] = {{"backend", rows.empty() ? "" : rows.front().last.backend},
                        {"name", rows.empty() ? "" : rows.front().last.device_name}};
  document["graph"] = graph;
  document["repetitions"] = repetitions;
  auto list = nlohmann::ordered_json::array();
  // Speedups are NaN when a median is 0; nlohmann writes NaN as null, which is what a script should see.
  for (const auto& row : rows) {
    list.push_back({{"label", row.step.label},
                    {"technique", row.step.technique},
                    {"kind", to_string(row.step.kind)},
                    {"samples_per_s", row.samples_per_s},
                    {"median", row.median},
                    {"min", row.min},
                    {"max", row.max},
                    {"step_speedup", row.step_speedup},
                    {"cumulative_speedup", row.cumulative_speedup},
                    {"claim", row.step.claim},
                    {"already_off", row.step.already_off},
                    {"verdict", row.last.verdict}});
  }
  document["rows"] = std::move(list);
  return document;
}

}  // namespace

int ablate_command(const std::string& file, int repetitions, const CommandArgs& args) {
  check_json_destination(args.json_path);
  Pipeline pipeline = build_command_pipeline(file, args);
  const PipelineSpec& full = pipeline.spec();

  const Plan planned = pipeline.plan();
  const auto steps = ablation_plan(full, pipeline.settings());
  print(plan_line(full, planned));
  print(fmt::format("ablation: {} rows × {} repetitions = {} runs, interleaved in rounds; full graph: {}\n",
                    steps.size(), repetitions, steps.size() * static_cast<std::size_t>(repetitions),
                    settings(pipeline.settings())));

  // The per-run line only redraws in place on a terminal; the per-row lines are kept in logs too.
  const bool tty = ::isatty(STDERR_FILENO) == 1;
  std::size_t finished = 0;
  auto on_run = [&](const AblationStep& step, int index, int runs, const RunStats& stats) {
    if (interrupt_requested()) {
      if (tty) std::fputs("\r\033[K", stderr);
      print(fmt::format("\nablate: interrupted during run {} of {} ({}); {} row{} finished above\n", index + 1, runs,
                        step.label, finished, finished == 1 ? "" : "s"));
      throw Interrupted{};
    }
    if (tty) std::fprintf(stderr, "\r\033[Krun %d/%d: %s: %.1f samples/s", index + 1, runs, step.label.c_str(),
                          stats.samples_per_s);
  };
  auto on_row = [&](const AblationRow& row) {
    if (tty) std::fputs("\r\033[K", stderr);
    std::fputs(row_progress(row, finished++, steps.size()).c_str(), stderr);
  };
  std::vector<AblationRow> rows;
  {
    const InterruptWatch watch(pipeline);
    try {
      rows = ablate(pipeline, repetitions, on_row, on_run);
    } catch (const Interrupted&) {
      return interrupted_exit_status();
    }
  }

  print("\n");
  print(table_text(rows));
  print("\n");
  print(closing_text(rows));
  if (!args.json_path.empty()) write_json_file(args.json_path, ablation_json(full.name, repetitions, rows));
  return 0;
}

}  // namespace feedgraph::cli
