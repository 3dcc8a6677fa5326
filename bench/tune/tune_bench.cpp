// feedgraph-tune-bench: does `feedgraph tune` find the fastest settings? For each graph, an exhaustive grid
// over read {1,2,4,8} × transform {1,2,4,8} × pin {1,2} × prefetch {1,2,4,8} (a key that does not apply to the
// graph is left out), each point one trial of the same length tune uses; then tune itself, twice: on the file
// as it ships and on a mis-set copy (every concurrency 1, prefetch 1), both held to the grid's limits and the
// same memory budget. Last, the grid's best few points, both tuned choices and both starting points are
// measured again, 2 × --reps times each, interleaved. The grid's best is the finalist with the highest median
// of the odd rounds; every figure compared is the median of the even rounds. A grid's best single
// measurement is the luckiest of many, and so would be the best of a few medians judged on the same runs
// that chose it: selecting on one half and measuring on the other keeps that luck out of the comparison.
//
//   build/bin/feedgraph-tune-bench                      # every graph that runs on this machine
//   build/bin/feedgraph-tune-bench cpu-bound io-bound --reps 7 --json tune.json
//   build/bin/feedgraph-tune-bench seed --device cuda   # on the GPU machine
//
// Done when: tuned / best grid >= 0.90, in <= 12 trials, no trial over the budget.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "runner/json_file.hpp"
#include "runner/scenario.hpp"

namespace fb = feedgraph::bench;
using feedgraph::PipelineSpec;
using feedgraph::TuneSettings;
using nlohmann::json;

namespace {

struct Case {
  std::string name;
  std::string graph;  ///< under graphs/
  std::vector<std::string> overrides = {};
  std::function<void()> prepare = {};
  bool cuda_only = false;  ///< too slow on the host backend (a 4.8e11-FLOP matmul per batch on a CPU)
};

std::vector<Case> cases() {
  const std::string images = fb::bench_data_dir() + "/images-320x240";
  return {
      {"cpu-bound", "cpu-bound.yaml"},
      {"io-bound", "io-bound.yaml"},
      {"compute-bound", "compute-bound.yaml"},
      {"overhead", "overhead.yaml"},
      {"seed-readme", "seed-readme.yaml"},
      {"transfer-bound", "transfer-bound.yaml"},
      // Batches of 32: at 256 a 2-core machine decodes a batch in about a second, too few per trial.
      {"images", "images.yaml", {"dataset.path=" + images, "batch_size=32"}, fb::make_images_once(images, 2000, 320, 240)},
      {"seed", "seed.yaml", {}, {}, true},
  };
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return in ? a + " " + b + " " + c : "unknown";
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n == 0 ? 0 : n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

json settings_json(const TuneSettings& s) {
  return {{"read", s.read}, {"transform", s.transform}, {"pin", s.pin}, {"prefetch", s.prefetch}};
}

/// The grid's values of one key: the list when it applies, else the file's value alone.
std::vector<int> values(bool applies, std::vector<int> list, int fixed) { return applies ? list : std::vector<int>{fixed}; }

struct Point {
  TuneSettings settings;
  std::uint64_t memory = 0;
  double samples_per_s = 0;  ///< one trial
};

struct Remeasured {
  std::string label;
  TuneSettings settings;
  std::vector<double> selection;  ///< odd rounds: which grid point is the best
  std::vector<double> runs;       ///< even rounds: the figures compared
  double median() const { return ::median(runs); }
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"feedgraph-tune-bench: tune against an exhaustive grid over the same space", "feedgraph-tune-bench"};
  std::vector<std::string> names;
  int reps = 5, top = 3;
  double trial_seconds = 1.0;
  std::string device, json_path;
  app.add_option("graphs", names, "Graphs to run (default: every one this machine runs in reasonable time)");
  app.add_option("--reps", reps, "Runs of each finalist to choose the grid's best, and as many to compare (default 5)")
      ->check(CLI::Range(1, 100));
  app.add_option("--top", top, "Grid points measured again as finalists (default 3)")->check(CLI::Range(1, 20));
  app.add_option("--trial-seconds", trial_seconds, "Length of every trial, grid and tune alike (default 1)")
      ->check(CLI::PositiveNumber);
  app.add_option("--device", device, "auto | cuda | cuda:N | host");
  app.add_option("--json", json_path, "Also write the results as JSON");
  CLI11_PARSE(app, argc, argv);

  json out = {{"feedgraph", feedgraph::version()},
              {"reps", reps},
              {"trial_seconds", trial_seconds},
              {"load_average_start", load_average()},
              {"graphs", json::array()}};
  std::vector<std::string> table;
  try {
    for (const auto& c : cases()) {
      if (!names.empty() && std::find(names.begin(), names.end(), c.name) == names.end()) continue;
      if (c.prepare) c.prepare();
      const std::string load_at_start = load_average();
      PipelineSpec spec = feedgraph::load_pipeline(std::string(FEEDGRAPH_SOURCE_DIR) + "/graphs/" + c.graph, c.overrides);
      if (!device.empty()) spec.device = feedgraph::parse_device(device);
      // Built once: the grid, both tunes and the finalists are all runs of this one pipeline.
      feedgraph::Pipeline pipeline(spec, {.tune_auto = false});
      const feedgraph::RunSettings own = pipeline.settings();
      const auto planned = pipeline.plan();
      if (c.cuda_only && planned.backend != "cuda") {
        fmt::print(stderr, "{}: skipped on the {} backend (a GPU graph: hours on a CPU)\n", c.name, planned.backend);
        continue;
      }

      // The space: keys that do not apply stay at the file's value, in the grid and in tune alike.
      const bool has_transform = !spec.transforms.empty();
      const bool has_pin = feedgraph::GraphShape::of(spec, feedgraph::with_settings(own, {1, 1, 1, 1})).pin_node;
      const TuneSettings file = feedgraph::settings_of(own);
      auto settings_at = [&](const TuneSettings& t, std::uint64_t budget) {
        feedgraph::RunSettings s = feedgraph::with_settings(own, t);
        s.memory_budget = budget;
        return s;
      };
      std::vector<Point> grid;
      for (int r : {1, 2, 4, 8})
        for (int t : values(has_transform, {1, 2, 4, 8}, file.transform))
          for (int p : values(has_pin, {1, 2}, file.pin))
            for (int f : {1, 2, 4, 8}) {
              grid.push_back({{r, t, p, f}, pipeline.plan(settings_at({r, t, p, f}, 0)).memory.total(), 0});
            }
      // The budget: the file's, else half way between the grid's smallest and largest plans, so that part of
      // the space is out of bounds for both the grid and tune.
      std::uint64_t budget = spec.memory_budget;
      std::string budget_from = "the file's memory_budget";
      if (budget == 0) {
        const auto [lo, hi] = std::minmax_element(grid.begin(), grid.end(),
                                                  [](const Point& a, const Point& b) { return a.memory < b.memory; });
        budget = lo->memory + (hi->memory - lo->memory) / 2;
        budget_from = "half way between the grid's smallest and largest plans";
      }
      feedgraph::TuneOptions options;
      options.trial_seconds = trial_seconds;
      options.memory_budget = budget;
      options.limits = {8, has_transform ? 8 : 1, has_pin ? 2 : 1, 8};
      options.max_seconds = 600;

      fmt::print(stderr, "{}: {} on {} ({}), budget {} ({}), grid of {} points\n", c.name, c.graph, planned.backend,
                 planned.device_name, feedgraph::format_bytes(budget), budget_from, grid.size());
      std::size_t over = 0;
      for (auto& point : grid) {
        if (point.memory > budget) {
          ++over;
          continue;
        }
        point.samples_per_s = feedgraph::measure_trial(pipeline, settings_at(point.settings, budget), options).samples_per_s;
        fmt::print(stderr, "  grid {}: {:.0f} samples/s\n", point.settings.text(), point.samples_per_s);
      }
      std::vector<Point> inside;
      for (const auto& p : grid)
        if (p.memory <= budget) inside.push_back(p);
      std::sort(inside.begin(), inside.end(), [](const Point& a, const Point& b) { return a.samples_per_s > b.samples_per_s; });

      struct Tuned {
        std::string variant;
        feedgraph::RunSettings start;
        feedgraph::TuneResult result;
      };
      std::vector<Tuned> tuned;
      for (auto& [variant, start] : {std::pair{std::string("as shipped"), file}, std::pair{std::string("mis-set"), TuneSettings{1, 1, 1, 1}}}) {
        const feedgraph::RunSettings s = settings_at(start, budget);
        pipeline.set_settings(s);
        fmt::print(stderr, "  tune ({}, from {}):\n", variant, start.text());
        auto result = feedgraph::tune(pipeline, options, [](const feedgraph::TuneTrial& t) {
          fmt::print(stderr, "    {:>2} {}: {:.0f} samples/s ({})\n", t.index, t.settings.text(), t.measured_samples_per_s,
                     t.why);
        });
        fmt::print(stderr, "    stopped: {}\n", result.stopped);
        tuned.push_back({variant, s, std::move(result)});
      }

      // Finalists, measured again, interleaved so that a drift of the machine touches them all alike.
      std::vector<Remeasured> finalists;
      auto add = [&](const std::string& label, const TuneSettings& s) {
        for (auto& f : finalists)
          if (f.settings == s) {
            f.label += ", " + label;
            return;
          }
        finalists.push_back({label, s, {}, {}});
      };
      for (int i = 0; i < top && i < static_cast<int>(inside.size()); ++i)
        add(fmt::format("grid #{}", i + 1), inside[static_cast<std::size_t>(i)].settings);
      for (const auto& t : tuned) add("tuned (" + t.variant + ")", t.result.best_settings);
      if (pipeline.plan(settings_at(file, 0)).memory.total() <= budget) add("as shipped", file);
      add("mis-set", {1, 1, 1, 1});
      for (int r = 0; r < 2 * reps; ++r) {
        for (auto& f : finalists) {
          (r % 2 == 0 ? f.selection : f.runs)
              .push_back(feedgraph::measure_trial(pipeline, settings_at(f.settings, budget), options).samples_per_s);
        }
      }
      double best_selection = 0, best_grid = 0;
      TuneSettings best_grid_settings;
      for (const auto& f : finalists) {
        if (f.label.find("grid #") == std::string::npos || median(f.selection) <= best_selection) continue;
        best_selection = median(f.selection);
        best_grid = f.median();
        best_grid_settings = f.settings;
      }
      auto finalist = [&](const TuneSettings& s) -> const Remeasured& {
        return *std::find_if(finalists.begin(), finalists.end(), [&](const Remeasured& f) { return f.settings == s; });
      };

      json g = {{"name", c.name}, {"graph", "graphs/" + c.graph}, {"overrides", c.overrides},
                {"load_average_at_start", load_at_start}, {"load_average_at_end", load_average()},
                {"backend", planned.backend}, {"device", planned.device_name}, {"budget_bytes", budget},
                {"budget_from", budget_from}, {"grid_points", grid.size()}, {"grid_points_over_budget", over},
                {"best_grid", {{"settings", settings_json(best_grid_settings)}, {"median_samples_per_s", best_grid}}},
                {"finalists", json::array()}, {"variants", json::array()}};
      for (const auto& f : finalists)
        g["finalists"].push_back({{"label", f.label}, {"settings", settings_json(f.settings)},
                                  {"selection_samples_per_s", f.selection}, {"selection_median", median(f.selection)},
                                  {"samples_per_s", f.runs}, {"median", f.median()}});
      auto grid_json = json::array();
      for (const auto& p : grid)
        grid_json.push_back({{"settings", settings_json(p.settings)}, {"memory_bytes", p.memory},
                             {"samples_per_s", p.memory <= budget ? json(p.samples_per_s) : json(nullptr)}});
      g["grid"] = std::move(grid_json);
      for (const auto& t : tuned) {
        std::uint64_t most = 0;
        for (const auto& trial : t.result.trials) most = std::max(most, trial.memory.total());
        const double chosen = finalist(t.result.best_settings).median();
        const double ratio = best_grid > 0 ? chosen / best_grid : 0;
        g["variants"].push_back({{"variant", t.variant},
                                 {"start", settings_json(feedgraph::settings_of(t.start))},
                                 {"chosen", settings_json(t.result.best_settings)},
                                 {"chosen_median_samples_per_s", chosen},
                                 {"ratio_to_best_grid", ratio},
                                 {"trials", t.result.trials.size()},
                                 {"tune_seconds", t.result.seconds},
                                 {"max_trial_memory_bytes", most},
                                 {"stopped", t.result.stopped}});
        table.push_back(fmt::format("{:<15} {:<11} {:>26} {:>9.0f} {:>26} {:>9.0f} {:>6.2f} {:>6} {:>21}", c.name,
                                    t.variant,
                                    fmt::format("{}/{}/{}/{}", best_grid_settings.read, best_grid_settings.transform,
                                                best_grid_settings.pin, best_grid_settings.prefetch),
                                    best_grid,
                                    fmt::format("{}/{}/{}/{}", t.result.best_settings.read, t.result.best_settings.transform,
                                                t.result.best_settings.pin, t.result.best_settings.prefetch),
                                    chosen, ratio, t.result.trials.size(),
                                    feedgraph::format_bytes(most) + " / " + feedgraph::format_bytes(budget)));
      }
      out["graphs"].push_back(std::move(g));
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "feedgraph-tune-bench: error: {}\n", e.what());
    return 1;
  }
  out["load_average_end"] = load_average();
  fmt::print("\nsamples/s: medians of {} runs of {:g} s each, after as many that chose the grid's best (settings "
             "read/transform/pin/prefetch); load average {} at the start, {} at the end\n",
             reps, trial_seconds, out["load_average_start"].get<std::string>(), out["load_average_end"].get<std::string>());
  fmt::print("{:<15} {:<11} {:>26} {:>9} {:>26} {:>9} {:>6} {:>6} {:>21}\n", "graph", "variant", "best grid", "samples/s",
             "tuned", "samples/s", "ratio", "trials", "max memory / budget");
  for (const auto& line : table) fmt::print("{}\n", line);
  if (!json_path.empty() && !fb::write_json_file(out, json_path, "feedgraph-tune-bench")) return 1;
  return 0;
}
