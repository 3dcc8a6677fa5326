// feedgraph-bench: every scenario of bench/, each timing in one process its serial twin, the concurrent
// graph and the scenario's bound, the median of --reps runs each; a table, and --json.
//
//   build/bin/feedgraph-bench                      # all scenarios, 5 runs each
//   build/bin/feedgraph-bench transfer-bound --reps 7 --json bench.json
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "runner/json_file.hpp"
#include "runner/scenario.hpp"

namespace fb = feedgraph::bench;
using nlohmann::json;

namespace {

/// The process's CPU time so far, every thread.
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

struct Series {
  std::vector<feedgraph::RunStats> runs;
  std::vector<double> call_cpu_s;  // the process's CPU time during each call: setup, the run, the teardown
  /// Runs `run` and keeps its stats and CPU time.
  template <class F>
  void time(F&& run) {
    const double before = cpu_seconds();
    runs.push_back(run());
    call_cpu_s.push_back(cpu_seconds() - before);
  }
  std::size_t median_index() const {
    std::vector<std::size_t> idx(runs.size());
    for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
    std::sort(idx.begin(), idx.end(), [&](auto a, auto b) { return runs[a].samples_per_s < runs[b].samples_per_s; });
    return idx[idx.size() / 2];
  }
  /// The median run's host CPU seconds per sample over its wall (RunStats::cpu_s: setup left out, as the wall
  /// leaves it out), and the cores it kept busy on average.
  double cpu_per_sample() const {
    const auto& r = median_run();
    return r.samples > 0 ? r.cpu_s / static_cast<double>(r.samples) : 0;
  }
  double cores_busy() const { return median_run().cores_busy(); }
  /// The median run's CPU seconds outside its wall: setup (allocations, decoder states, the dataset cache)
  /// and teardown.
  double setup_cpu_s() const { return std::max(0.0, call_cpu_s[median_index()] - median_run().cpu_s); }
  std::vector<double> rates() const {
    std::vector<double> r;
    for (const auto& s : runs) r.push_back(s.samples_per_s);
    return r;
  }
  /// The run whose samples/s is the median: the one the report and the bound use.
  const feedgraph::RunStats& median_run() const { return runs[median_index()]; }
  double median() const { return median_run().samples_per_s; }
  double min() const { auto r = rates(); return *std::min_element(r.begin(), r.end()); }
  double max() const { auto r = rates(); return *std::max_element(r.begin(), r.end()); }
  json to_json() const {
    return {{"median_samples_per_s", median()}, {"min", min()}, {"max", max()}, {"samples_per_s", rates()},
            {"median_batches_per_s", median_run().batches_per_s}, {"h2d_gbps", median_run().h2d_gbps},
            {"gpu_idle_fraction", median_run().gpu_idle_fraction},
            {"gpu_idle_steady_fraction", median_run().gpu_idle_steady_fraction},
            {"verdict", median_run().verdict}, {"cpu_s_per_sample", cpu_per_sample()},
            {"cores_busy", cores_busy()}, {"setup_cpu_s", setup_cpu_s()}};
  }
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"feedgraph-bench: time each scenario's serial twin, concurrent graph and bound", "feedgraph-bench"};
  std::vector<std::string> names;
  int reps = 5;
  std::string device, json_path;
  std::vector<std::string> sets;
  app.add_option("scenarios", names, "Scenarios to run (default: all)");
  app.add_option("--reps", reps, "Runs of each variant; the median is reported (at least 5 for RESULTS.md)")
      ->check(CLI::Range(1, 1000));
  app.add_option("--device", device, "auto | cuda | cuda:N | host (host-only scenarios ignore it)");
  app.add_option("--json", json_path, "Also write the results as JSON");
  app.add_option("--set", sets,
                 "KEY=VALUE for every chosen scenario's graph, after the scenario's own (its baseline's overrides "
                 "still win there), e.g. to try a setting: --set 'device_transforms=[...]'");
  CLI11_PARSE(app, argc, argv);

  std::vector<fb::Scenario> all = {fb::seed_scenario(),          fb::transfer_bound_scenario(),
                                   fb::cpu_bound_scenario(),     fb::compute_bound_scenario(),
                                   fb::overhead_scenario(),      fb::images_scenario(),
                                   fb::jpeg_decode_scenario()};
  for (auto& s : fb::pull_scenarios()) all.push_back(std::move(s));
  // Decode on the GPU needs nvJPEG: named, they run (or say why not) anywhere; in the default set, only where built.
  for (auto& s : fb::images_gpu_scenarios())
    if (FEEDGRAPH_HAVE_NVJPEG || !names.empty()) all.push_back(std::move(s));
  std::vector<fb::Scenario> chosen;
  for (const auto& s : all)
    if (names.empty() || std::find(names.begin(), names.end(), s.name) != names.end()) chosen.push_back(s);
  if (chosen.empty()) {
    fmt::print(stderr, "feedgraph-bench: no such scenario\n");
    return 2;
  }

  json out = {{"feedgraph", feedgraph::version()}, {"repetitions", reps}, {"scenarios", json::array()}};
  std::vector<std::string> table;
  try {
    for (const auto& sc : chosen) {
      if (sc.prepare) sc.prepare();
      const std::string file = std::string(FEEDGRAPH_SOURCE_DIR) + "/graphs/" + sc.graph;
      auto graph_overrides = sc.overrides;
      graph_overrides.insert(graph_overrides.end(), sets.begin(), sets.end());
      auto spec = feedgraph::load_pipeline(file, graph_overrides);
      // The baseline: the serial twin, or the graph with the scenario's baseline overrides (none: the graph).
      auto overrides = graph_overrides;
      overrides.insert(overrides.end(), sc.baseline.begin(), sc.baseline.end());
      auto twin = sc.baseline_name.empty() ? feedgraph::serial_twin(spec)
                  : sc.baseline.empty()    ? spec
                                           : feedgraph::load_pipeline(file, overrides);
      for (auto* s : {&spec, &twin}) {
        if (sc.host_only)
          s->device = feedgraph::parse_device("host");
        else if (!device.empty())
          s->device = feedgraph::parse_device(device);
      }
      // Each graph built once: the serial twin is the same pipeline with serial settings; a baseline with
      // overrides of its own (another dtype, say) is a pipeline of its own.
      feedgraph::Pipeline pipeline(spec);
      std::optional<feedgraph::Pipeline> other;
      if (!sc.baseline_name.empty() && !sc.baseline.empty()) other.emplace(twin);
      feedgraph::Pipeline& baseline = other ? *other : pipeline;
      const feedgraph::RunSettings baseline_settings =
          sc.baseline_name.empty() ? baseline.settings().serial() : baseline.settings();
      const auto plan = pipeline.plan();
      fmt::print(stderr, "{}: {} on {} ({}), {} runs of each variant\n", sc.name, sc.graph, plan.backend,
                 plan.device_name, reps);
      Series serial, concurrent;
      // Interleaved, so that a drift of the machine (clocks, other load) touches both variants alike.
      for (int r = 0; r < reps; ++r) {
        if (sc.serial_twin) serial.time([&] { return baseline.run(baseline_settings); });
        concurrent.time([&] { return sc.run ? sc.run(pipeline) : pipeline.run(); });
      }
      const auto& ser = sc.serial_twin ? serial.median_run() : concurrent.median_run();
      const fb::Bound bound = sc.bound(fb::BoundInputs{spec, plan, ser, concurrent.median_run()});
      const double speedup = sc.serial_twin ? concurrent.median() / serial.median() : 0;
      json j = {{"name", sc.name}, {"graph", "graphs/" + sc.graph}, {"shows", sc.shows}, {"backend", plan.backend},
                {"device", plan.device_name}, {"concurrent", concurrent.to_json()}};
      if (sc.serial_twin) j["serial"] = serial.to_json(), j["speedup"] = speedup;
      if (!sc.baseline_name.empty()) j["baseline"] = sc.baseline_name, j["baseline_overrides"] = sc.baseline;
      if (!sets.empty()) j["set"] = sets;
      if (bound.samples_per_s > 0)
        j["bound"] = {{"samples_per_s", bound.samples_per_s}, {"what", bound.what},
                      {"fraction", concurrent.median() / bound.samples_per_s}};
      out["scenarios"].push_back(j);
      table.push_back(fmt::format(
          "{:<15} {:>12} {:>22} {:>8} {:>12} {:>7}  {}", sc.name,
          sc.serial_twin ? fmt::format("{:.0f}", serial.median()) : "-",
          fmt::format("{:.0f} ({:.0f}-{:.0f})", concurrent.median(), concurrent.min(), concurrent.max()),
          sc.serial_twin ? fmt::format("{:.2f}x", speedup) : "-",
          bound.samples_per_s > 0 ? fmt::format("{:.0f}", bound.samples_per_s) : "-",
          bound.samples_per_s > 0 ? fmt::format("{:.0f}%", 100 * concurrent.median() / bound.samples_per_s) : "-",
          sc.name == "overhead"  ? fmt::format("{:.0f} batches/s", concurrent.median_run().batches_per_s)
          : sc.report_cpu && sc.serial_twin
              ? fmt::format("host CPU {:.0f} us/sample ({:.1f} cores; setup {:.2f} s more) against the baseline's "
                            "{:.0f} us/sample ({:.1f} cores); baseline: {}; bound: {}",
                            1e6 * concurrent.cpu_per_sample(), concurrent.cores_busy(), concurrent.setup_cpu_s(),
                            1e6 * serial.cpu_per_sample(), serial.cores_busy(), sc.baseline_name, bound.what)
          : sc.baseline_name.empty()  ? bound.what
          : bound.samples_per_s > 0   ? "baseline: " + sc.baseline_name + "; bound: " + bound.what
                                      : "baseline: " + sc.baseline_name));
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "feedgraph-bench: error: {}\n", e.what());
    return 1;
  }
  fmt::print("\nsamples/s, median of {} runs (concurrent: min-max)\n", reps);
  fmt::print("{:<15} {:>12} {:>22} {:>8} {:>12} {:>7}  {}\n", "scenario", "serial", "concurrent", "speedup", "bound",
             "of bound", "bound is / note");
  for (const auto& line : table) fmt::print("{}\n", line);
  if (!json_path.empty() && !fb::write_json_file(out, json_path, "feedgraph-bench")) return 1;
  return 0;
}
