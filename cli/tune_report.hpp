#pragma once
// What `feedgraph tune` prints and writes, built from a TuneResult alone so that tests can pin down the text
// and the `--json` document without tuning anything.
//
//   auto result = feedgraph::tune(spec, options, [](const auto& t) { std::cout << feedgraph::cli::tune_row(t); });
//   std::cout << feedgraph::cli::tune_summary(result);
#include <string>

#include <nlohmann/json.hpp>

#include "feedgraph/spec.hpp"
#include "feedgraph/tools/tune.hpp"

namespace feedgraph::cli {

/// "cpu-bound on host: tuning concurrency.read, ..., prefetch on 2 cores, memory budget none; at most 12 trials
/// of 1 s", then the column headings of the trial table.
std::string tune_heading(const PipelineSpec& spec, const TuneOptions& options, int cores, std::uint64_t budget);
/// One row of the trial table (a trial, as on_trial sees it).
std::string tune_row(const TuneTrial& trial);
/// After the table: trial 1's service times, the model's best, the chosen settings and why the search stopped.
std::string tune_summary(const TuneResult& result);

/// The `--json` document: device, graph, keys, limits, profile, every trial (settings, predicted and
/// measured samples/s, limits, memory plan), best, stopped.
nlohmann::ordered_json tune_json(const TuneResult& result, const std::string& file);

/// The first line of a `--write` file: "# tuned by feedgraph tune on HOST DATE: read 2, ... → 9620 samples/s
/// measured (trial 4 of 6; ...)". `overrides`: the --set flags the tune ran with, which the file does not hold.
std::string tune_comment(const TuneResult& result, const std::string& host, const std::string& date,
                         const std::vector<std::string>& overrides);

}  // namespace feedgraph::cli
