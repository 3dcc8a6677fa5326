// ablate: run every row of the ablation plan a few times, interleaved, and say what each technique bought
// (feedgraph/ablate.hpp).
#include "feedgraph/tools/ablate.hpp"

#include <algorithm>
#include <limits>
#include <string>

#include "tools/ablate/schedule.hpp"
#include "feedgraph/errors.hpp"
#include "feedgraph/pipeline.hpp"

namespace feedgraph {
namespace {

/// A median and the spread around it, from at least one sample.
struct Summary {
  double median, min, max;
};

Summary summarize(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  const std::size_t n = samples.size();
  // The mean of the two middle samples for an even count, so the median never depends on which one we pick.
  const double median = n % 2 == 1 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2.0;
  return {median, samples.front(), samples.back()};
}

/// NaN rather than infinity or a crash when a row delivered nothing: the table prints it as n/a.
double ratio(double numerator, double denominator) {
  return denominator > 0 ? numerator / denominator : std::numeric_limits<double>::quiet_NaN();
}

/// The row whose median an add or full row's step is measured against: the cumulative row before it.
std::size_t previous_cumulative(const std::vector<AblationStep>& plan, std::size_t index) {
  for (std::size_t i = index; i-- > 0;) {
    const auto kind = plan[i].kind;
    if (kind == AblationStep::Kind::baseline || kind == AblationStep::Kind::add) return i;
  }
  return index;
}

std::size_t find_kind(const std::vector<AblationStep>& plan, AblationStep::Kind kind) {
  const auto it = std::find_if(plan.begin(), plan.end(), [&](const AblationStep& s) { return s.kind == kind; });
  return static_cast<std::size_t>(it - plan.begin());
}

}  // namespace

std::vector<AblationRow> ablate(
    Pipeline& pipeline, int repetitions, const std::function<void(const AblationRow&)>& on_row,
    const std::function<void(const AblationStep&, int run_index, int runs, const RunStats&)>& on_run) {
  // Two samples have no middle, and one outlier among them would decide the row; three is the least that
  // a median can defend against a single bad run.
  if (repetitions < 3) {
    throw Error("ablate: repetitions must be at least 3 (the median of fewer cannot discard an outlier), got " +
                std::to_string(repetitions));
  }
  const std::vector<AblationStep> plan = ablation_plan(pipeline.spec(), pipeline.settings());
  // Every row before the first run: a variant over the memory budget fails now, not after the rows before
  // it have taken their time.
  for (const auto& step : plan) (void)pipeline.plan(step.settings);

  const std::size_t baseline = find_kind(plan, AblationStep::Kind::baseline);
  const std::size_t full_row = find_kind(plan, AblationStep::Kind::full);

  std::vector<AblationRow> rows(plan.size());
  std::vector<bool> done(plan.size(), false);
  for (std::size_t i = 0; i < plan.size(); ++i) rows[i].step = plan[i];

  // A row's speedups divide by other rows' medians; the schedule ends on a forward round, so those rows
  // have always finished first. Checked anyway: a silent 0 there would print as a plausible n/a.
  auto reference = [&](std::size_t i) -> double {
    if (!done[i]) throw Error("ablate: internal error: row " + rows[i].step.label + " is needed before it finished");
    return rows[i].median;
  };
  auto finish = [&](std::size_t i) {
    AblationRow& row = rows[i];
    const Summary s = summarize(row.samples_per_s);
    row.median = s.median;
    row.min = s.min;
    row.max = s.max;
    switch (row.step.kind) {
      case AblationStep::Kind::baseline:
        row.step_speedup = 1.0;
        break;
      case AblationStep::Kind::add:
      case AblationStep::Kind::full:
        row.step_speedup = ratio(row.median, reference(previous_cumulative(plan, i)));
        break;
      case AblationStep::Kind::remove:
        // Inverted on purpose: the factor the full graph loses without the technique, so that > 1 reads as
        // "this technique helps" in both halves of the table.
        row.step_speedup = ratio(reference(full_row), row.median);
        break;
    }
    done[i] = true;
    row.cumulative_speedup = ratio(row.median, reference(baseline));
    if (i == baseline) row.cumulative_speedup = 1.0;  // exactly, even if the twin delivered nothing
    if (on_row) on_row(row);
  };

  const auto order = detail::ablation_schedule(static_cast<int>(plan.size()), repetitions);
  const int runs = static_cast<int>(order.size());
  for (int k = 0; k < runs; ++k) {
    const auto i = static_cast<std::size_t>(order[static_cast<std::size_t>(k)]);
    AblationRow& row = rows[i];
    row.last = pipeline.run(row.step.settings);
    row.samples_per_s.push_back(row.last.samples_per_s);
    if (on_run) on_run(row.step, k, runs, row.last);
    if (static_cast<int>(row.samples_per_s.size()) == repetitions) finish(i);
  }
  return rows;
}

std::vector<AblationRow> ablate(
    const PipelineSpec& full, int repetitions, const std::function<void(const AblationRow&)>& on_row,
    const std::function<void(const AblationStep&, int run_index, int runs, const RunStats&)>& on_run) {
  Pipeline pipeline(full, {.tune_auto = false});
  return ablate(pipeline, repetitions, on_row, on_run);
}

}  // namespace feedgraph
