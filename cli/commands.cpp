// run, compare and validate: load (with --set and --device applied), build once, plan, run, report.
#include "cli/commands.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <optional>
#include <system_error>

#include "cli/h2d_ceiling.hpp"
#include "cli/interrupt.hpp"
#include "cli/rank_report.hpp"
#include "cli/report.hpp"
#include "cli/timeline_files.hpp"
#include "feedgraph/errors.hpp"
#include "feedgraph/pipeline.hpp"
#include "feedgraph/spec.hpp"
#include "feedgraph/tools/tune.hpp"

namespace feedgraph::cli {

PipelineSpec load_command_spec(const std::string& file, const CommandArgs& args) {
  auto spec = load_pipeline(file, args.overrides);
  // main.cpp has already checked the text, so this cannot throw a usage error; it wins over the file.
  if (!args.device.empty()) spec.device = parse_device(args.device);
  return spec;
}

Pipeline build_command_pipeline(const std::string& file, const CommandArgs& args, bool resolve) {
  Pipeline pipeline(load_command_spec(file, args), {.tune_auto = false});
  if (resolve) {
    const AutoResolution resolved = resolve_auto(pipeline);
    if (!resolved.line.empty() && !args.quiet) {
      std::fputs((pipeline.spec().name + ": " + resolved.line + "\n").c_str(), stdout);
      std::fflush(stdout);
    }
  }
  return pipeline;
}

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

RunStats execute(Pipeline& pipeline, const Plan& planned, bool quiet, const CommandArgs* state_args = nullptr) {
  const PipelineSpec& spec = pipeline.spec();
  if (!quiet) print(rank_prefix(planned) + plan_line(spec, planned));
  // Said even with --quiet, on stderr: a file that fails on purpose must never pass for a real result.
  for (const FaultSpec& f : spec.faults) std::fprintf(stderr, "feedgraph: %s: injecting a fault: %s\n", spec.name.c_str(), f.text().c_str());
  RunOptions options;
  // A progress line is for a person watching; in a pipe or a CI log it is noise.
  options.progress = !quiet && ::isatty(STDERR_FILENO) == 1;
  // A signal that came before the run had started is seen at its first batch.
  std::int64_t delivered = 0;
  const bool save_often = state_args && !state_args->save_state.empty() && state_args->save_every > 0;
  options.on_batch = [&](const BatchRecord&) {
    if (interrupt_requested()) pipeline.stop();
    // Written on the compute thread, between batches: a crash afterwards leaves this state or a later one.
    if (save_often && ++delivered % state_args->save_every == 0) save_state(pipeline.state(), state_args->save_state);
  };
  const InterruptWatch watch(pipeline);
  RunStats stats = pipeline.run(planned.settings, options);
  if (!quiet) print(rank_prefix(planned) + run_text(stats));
  return stats;
}

}  // namespace

int run_command(const std::string& file, const CommandArgs& args) {
  check_json_destination(args.json_path);
  check_json_destination(args.trace_path);
  check_json_destination(args.save_state);
  if (args.save_every > 0 && args.save_state.empty()) throw Error("--save-every needs --save-state PATH");
  Pipeline pipeline = build_command_pipeline(file, args);
  if (!args.resume.empty()) {
    std::vector<PipelineState> states;
    for (const auto& path : args.resume) states.push_back(load_state(path));
    pipeline.resume(states);
    const PipelineState from = pipeline.state();
    if (!args.quiet)
      print(fmt::format("resuming at epoch {}, batch {} of it{}\n", from.epoch, from.batches,
                        from.dealt ? fmt::format(" (dealt out from {} ranks)", from.dealt->world) : ""));
  }
  RunSettings settings = pipeline.settings();
  if (args.stop_after > 0) settings.limit.max_batches = args.stop_after;
  const Plan planned = pipeline.plan(settings);
  const RunStats stats = [&] {
    try {
      return execute(pipeline, planned, args.quiet, &args);
    } catch (const std::exception& e) {
      // Among several ranks, rank 0 waits for this rank's report: tell it why none is coming.
      try {
        write_rank_failure(args.json_path, planned, e.what());
      } catch (const std::exception&) {
        // The run's own error is the one to report.
      }
      throw;
    }
  }();
  std::optional<PipelineState> saved;
  if (!args.save_state.empty()) {
    saved = pipeline.state();
    save_state(*saved, args.save_state);
    if (!args.quiet)
      print(fmt::format("state: epoch {}, batch {} of it, written to {}\n", saved->epoch, saved->batches, args.save_state));
  }
  const H2dCeilings ceilings = measure_h2d_ceilings({planned});  // after the run: it must not compete with it
  if (!args.quiet) print(ceiling_text({stats}, ceilings));
  if (!args.json_path.empty()) {
    auto document = report_json({stats}, false, ceilings);
    if (saved)
      document["state"] = {{"path", args.save_state}, {"epoch", saved->epoch}, {"batches", saved->batches},
                           {"position", saved->position}};
    // Written whole, then renamed into place: rank 0 reads the other ranks' files as they appear.
    const std::string path = rank_path(args.json_path, planned);
    write_json_file(path + ".partial", document);
    std::filesystem::rename(path + ".partial", path);
    if (const auto line = aggregate_line(args.json_path, planned); line && !args.quiet) print(*line);
  }
  write_timeline_files({stats}, args.trace_path, "", args.quiet);
  return stats.interrupted ? interrupted_exit_status() : 0;
}

int compare_command(const std::vector<std::string>& files, const CommandArgs& args) {
  check_json_destination(args.json_path);
  check_json_destination(args.trace_path);
  check_json_destination(args.report_path);
  // One pipeline per file, each built once; one file runs twice, as its serial twin and as written.
  std::vector<Pipeline> pipelines;
  for (const auto& file : files) pipelines.push_back(build_command_pipeline(file, args));
  struct Leg {
    Pipeline* pipeline;
    Plan plan;
  };
  // Plan every run before the first starts: a bad second file or a budget overrun should not cost a run.
  std::vector<Leg> legs;
  if (pipelines.size() == 1) {
    Pipeline& p = pipelines.front();
    legs.push_back({&p, p.plan(p.settings().serial())});
    legs.push_back({&p, p.plan()});
  } else {
    for (auto& p : pipelines) legs.push_back({&p, p.plan()});
  }

  std::vector<RunStats> runs;
  std::vector<Plan> plans;
  for (std::size_t i = 0; i < legs.size(); ++i) {
    if (i > 0) print("\n");
    runs.push_back(execute(*legs[i].pipeline, legs[i].plan, false));
    plans.push_back(legs[i].plan);
    if (runs.back().interrupted) break;  // what ran is reported; the rest does not start
  }
  const bool interrupted = runs.back().interrupted;
  const H2dCeilings ceilings = interrupted ? H2dCeilings{} : measure_h2d_ceilings(plans);  // after the runs
  print("\n");
  if (runs.size() == legs.size()) print(comparison_text(runs.front(), runs.back()));
  print(ceiling_text(runs, ceilings));
  if (!args.json_path.empty()) write_json_file(args.json_path, report_json(runs, true, ceilings));
  write_timeline_files(runs, args.trace_path, args.report_path, false);
  return interrupted ? interrupted_exit_status() : 0;
}

int validate_command(const std::string& file, const CommandArgs& args) {
  // Nothing runs here, so `auto` stays a question: the plan is the smallest setting's, 1 for each auto key.
  const Pipeline pipeline = build_command_pipeline(file, args, false);
  TuneSettings smallest = settings_of(pipeline.settings());
  for (int* v : {&smallest.read, &smallest.transform, &smallest.pin, &smallest.prefetch})
    if (*v == kAuto) *v = 1;
  const Plan planned = pipeline.plan(with_settings(pipeline.settings(), smallest));
  print(validate_text(pipeline.spec(), planned));
  print("ok\n");
  return 0;
}

}  // namespace feedgraph::cli
