// run, compare and validate: load (with --set and --device applied), plan, run, report.
#include "cli/commands.hpp"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <system_error>

#include "cli/h2d_ceiling.hpp"
#include "cli/report.hpp"
#include "cli/timeline_files.hpp"
#include "feedgraph/errors.hpp"
#include "feedgraph/pipeline.hpp"
#include "feedgraph/spec.hpp"
#include "feedgraph/tune.hpp"

namespace feedgraph::cli {
namespace {

}  // namespace

PipelineSpec load_command_spec(const std::string& file, const CommandArgs& args) {
  auto spec = load_pipeline(file, args.overrides);
  // main.cpp has already checked the text, so this cannot throw a usage error; it wins over the file.
  if (!args.device.empty()) spec.device = parse_device(args.device);
  return spec;
}

PipelineSpec resolve_command_spec(const PipelineSpec& spec, bool quiet) {
  AutoResolution resolved = resolve_auto(spec);
  if (!resolved.line.empty() && !quiet) {
    std::fputs((spec.name + ": " + resolved.line + "\n").c_str(), stdout);
    std::fflush(stdout);
  }
  return std::move(resolved.spec);
}

namespace {

PipelineSpec load(const std::string& file, const CommandArgs& args) {
  return resolve_command_spec(load_command_spec(file, args), args.quiet);
}

}  // namespace

/// A run can take minutes: find out before it starts that its JSON has nowhere to go.
void check_json_destination(const std::string& path) {
  if (path.empty()) return;
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  std::error_code ec;
  if (fs::is_directory(target, ec)) throw Error("cannot write " + path + ": it is a directory");
  if (!fs::is_directory(dir, ec)) throw Error("cannot write " + path + ": no directory " + dir.string());
  const fs::path& probe = fs::exists(target, ec) ? target : dir;
  if (::access(probe.c_str(), W_OK) != 0) throw Error("cannot write " + path + ": permission denied");
}

namespace {

/// Flushed at once: the engine's progress line goes to stderr, and the two must not interleave out of order.
void print(const std::string& text) {
  std::fputs(text.c_str(), stdout);
  std::fflush(stdout);
}

RunStats execute(const PipelineSpec& spec, const Plan& planned, bool quiet) {
  if (!quiet) print(plan_line(spec, planned));
  // Said even with --quiet, on stderr: a file that fails on purpose must never pass for a real result.
  for (const FaultSpec& f : spec.faults) std::fprintf(stderr, "feedgraph: %s: injecting a fault: %s\n", spec.name.c_str(), f.text().c_str());
  RunOptions options;
  // A progress line is for a person watching; in a pipe or a CI log it is noise.
  options.progress = !quiet && ::isatty(STDERR_FILENO) == 1;
  RunStats stats = feedgraph::run(spec, options);
  if (!quiet) print(run_text(stats));
  return stats;
}

}  // namespace

int run_command(const std::string& file, const CommandArgs& args) {
  check_json_destination(args.json_path);
  check_json_destination(args.trace_path);
  const PipelineSpec spec = load(file, args);
  const Plan planned = feedgraph::plan(spec);
  const RunStats stats = execute(spec, planned, args.quiet);
  const H2dCeilings ceilings = measure_h2d_ceilings({planned});  // after the run: it must not compete with it
  if (!args.quiet) print(ceiling_text({stats}, ceilings));
  if (!args.json_path.empty()) write_json_file(args.json_path, report_json({stats}, false, ceilings));
  write_timeline_files({stats}, args.trace_path, "", args.quiet);
  return 0;
}

int compare_command(const std::vector<std::string>& files, const CommandArgs& args) {
  check_json_destination(args.json_path);
  check_json_destination(args.trace_path);
  check_json_destination(args.report_path);
  std::vector<PipelineSpec> specs;
  if (files.size() == 1) {
    PipelineSpec spec = load(files.front(), args);
    specs.push_back(serial_twin(spec));
    specs.push_back(std::move(spec));
  } else {
    for (const auto& file : files) specs.push_back(load(file, args));
  }
  // Plan every run before the first starts: a bad second file or a budget overrun should not cost a run.
  std::vector<Plan> plans;
  for (const auto& spec : specs) plans.push_back(feedgraph::plan(spec));

  std::vector<RunStats> runs;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    if (i > 0) print("\n");
    runs.push_back(execute(specs[i], plans[i], false));
  }
  const H2dCeilings ceilings = measure_h2d_ceilings(plans);  // after the runs: it must not compete with them
  print("\n");
  print(comparison_text(runs.front(), runs.back()));
  print(ceiling_text(runs, ceilings));
  if (!args.json_path.empty()) write_json_file(args.json_path, report_json(runs, true, ceilings));
  write_timeline_files(runs, args.trace_path, args.report_path, false);
  return 0;
}

int validate_command(const std::string& file, const CommandArgs& args) {
  // Nothing runs here, so `auto` stays a question: the plan is the smallest setting's, 1 for each auto key.
  const PipelineSpec spec = load_command_spec(file, args);
  TuneSettings smallest = settings_of(spec);
  for (int* v : {&smallest.read, &smallest.transform, &smallest.pin, &smallest.prefetch})
    if (*v == kAuto) *v = 1;
  const Plan planned = feedgraph::plan(with_settings(spec, smallest));
  print(validate_text(spec, planned));
  print("ok\n");
  return 0;
}

}  // namespace feedgraph::cli
