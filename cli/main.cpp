// The `feedgraph` command: argument parsing and the mapping from errors to exit statuses.
//
//   feedgraph run FILE [--set key=value]... [--device D] [--json PATH] [--trace PATH] [--quiet]
//   feedgraph compare FILE [FILE2] [--set key=value]... [--device D] [--json PATH] [--trace PATH]
//                     [--report PATH.svg]
//   feedgraph validate FILE [--set key=value]... [--device D]
//   feedgraph ablate FILE [--reps N] [--set key=value]... [--device D] [--json PATH]
//   feedgraph tune FILE [--max-trials N] [--max-seconds S] [--trial-seconds S] [--budget SIZE] [--cores N]
//                  [--write PATH] [--set key=value]... [--device D] [--json PATH]
//   feedgraph probe [--device D] [--json PATH] [--sizes LIST] [--repeats N]
//   feedgraph make-dataset --kind records|npy|images --samples N --out PATH [--shape 3,32,32] [--dtype uint8]
//                          [--seed S] [--classes K] [--shards M] [--size WxH] [--quality Q]
//
// Exit status: 0 ok; 2 a pipeline file or command line that cannot be run; 1 a run that failed; 130 / 143
// a run stopped by SIGINT / SIGTERM, after its report.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/interrupt.hpp"
#include "feedgraph/errors.hpp"
#include "feedgraph/pipeline.hpp"
#include "feedgraph/spec.hpp"

namespace {

constexpr int exit_ok = 0;
constexpr int exit_failed = 1;
constexpr int exit_usage = 2;

/// CLI11 validator: "" when `text` is a device feedgraph understands, else why not. Checking here makes a
/// bad --device a usage error (exit 2) reported before anything is loaded.
std::string check_device(const std::string& text) {
  try {
    (void)feedgraph::parse_device(text);
    return {};
  } catch (const std::exception& e) {
    return e.what();
  }
}

/// CLI11 validator for one `probe --sizes` entry: a byte size above 0 ("64KiB", "1MiB", "4194304").
std::string check_transfer_size(const std::string& text) {
  try {
    if (feedgraph::parse_byte_size(text) == 0) return "a transfer size must be > 0 bytes";
    return {};
  } catch (const std::exception& e) {
    return e.what();
  }
}

/// CLI11 validator for `tune --budget`: a byte size above 0.
std::string check_budget(const std::string& text) {
  try {
    if (feedgraph::parse_byte_size(text) == 0) return "a memory budget must be > 0 bytes";
    return {};
  } catch (const std::exception& e) {
    return e.what();
  }
}

void add_overrides(CLI::App& command, feedgraph::cli::CommandArgs& args) {
  // One value per --set, so that `--set a=1 FILE` does not swallow FILE; repeat the flag for more. The
  // syntax is checked by load_pipeline, the one place that knows key paths (a bad one is a ConfigError).
  command.add_option("--set", args.overrides, "Override a pipeline key before validation (repeatable)")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false);
}

void add_device(CLI::App& command, feedgraph::cli::CommandArgs& args) {
  command.add_option("--device", args.device, "Run on this device instead of the file's: auto | cuda | cuda:N | host")
      ->type_name("D")
      ->check(check_device);
}

void add_json(CLI::App& command, feedgraph::cli::CommandArgs& args) {
  command.add_option("--json", args.json_path, "Also write the report as JSON (the documented contract) to PATH")
      ->type_name("PATH");
}

void add_trace(CLI::App& command, feedgraph::cli::CommandArgs& args) {
  command.add_option("--trace", args.trace_path,
                     "Also write a Chrome trace (a lane per node worker and per stream) to PATH; open it in Perfetto")
      ->type_name("PATH");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"feedgraph: run a batch pipeline from storage to device memory and show where the time goes",
               "feedgraph"};
  app.set_version_flag("--version", std::string(feedgraph::version()));
  // At most one subcommand; none at all is handled after parsing, so that an unknown word is reported as
  // such instead of as a missing subcommand.
  app.require_subcommand(0, 1);
  app.footer("Exit status: 0 ok, 1 the run failed, 2 the pipeline file or the command line is wrong.");

  feedgraph::cli::CommandArgs args;
  std::string file;
  std::string file2;

  CLI::App* run = app.add_subcommand("run", "Run a pipeline once and report throughput, stages and memory");
  run->add_option("file", file, "Pipeline file (YAML)")->required()->type_name("FILE");
  add_overrides(*run, args);
  add_device(*run, args);
  add_json(*run, args);
  add_trace(*run, args);
  run->add_flag("--quiet,-q", args.quiet, "Print nothing but errors (use with --json)");
  run->add_option("--stop-after", args.stop_after, "Stop after this many batches (with --save-state: a checkpoint)")
      ->type_name("BATCHES")
      ->check(CLI::PositiveNumber);
  run->add_option("--save-state", args.save_state,
                  "Write where the run got to (feedgraph.state/1 JSON, atomically) to PATH when it ends or is stopped")
      ->type_name("PATH");
  run->add_option("--save-every", args.save_every, "With --save-state: also write it after every N batches")
      ->type_name("N")
      ->check(CLI::PositiveNumber);
  run->add_option("--resume", args.resume,
                  "Go on from a saved state; give every old rank's state to resume on another world size")
      ->type_name("PATH...");

  CLI::App* compare = app.add_subcommand(
      "compare", "Run FILE's serial twin then FILE, or FILE then FILE2, and report the speedup of the second");
  // Two positionals rather than one of 1-2 values: the usage line then reads `file [file2]`.
  compare->add_option("file", file, "Pipeline file; alone, it is compared with its serial twin")
      ->required()
      ->type_name("FILE");
  compare->add_option("file2", file2, "A second pipeline file, run after FILE and compared with it")
      ->type_name("FILE2");
  add_overrides(*compare, args);
  add_device(*compare, args);
  add_json(*compare, args);
  add_trace(*compare, args);
  compare->add_option("--report", args.report_path,
                      "Also draw both timelines, one above the other, as a self-contained SVG at PATH")
      ->type_name("PATH.svg");

  CLI::App* validate = app.add_subcommand("validate", "Load and plan a pipeline without running it; print the plan");
  validate->add_option("file", file, "Pipeline file (YAML)")->required()->type_name("FILE");
  add_overrides(*validate, args);
  add_device(*validate, args);

  int repetitions = 3;
  CLI::App* ablate = app.add_subcommand(
      "ablate", "What each seed-lab technique buys: the serial twin, each added one at a time, each removed");
  ablate->add_option("file", file, "Pipeline file (YAML): the full graph")->required()->type_name("FILE");
  // At least 3, so that the median can discard one bad run; checked here to make it a usage error.
  ablate->add_option("--reps", repetitions, "Runs of every row; the table shows their median (default 3)")
      ->type_name("N")
      ->check(CLI::Range(3, 1000));
  add_overrides(*ablate, args);
  add_device(*ablate, args);
  // Not add_json: this document is the ablation table, not the run report.
  ablate->add_option("--json", args.json_path, "Also write the table, with every run's samples/s, as JSON to PATH")
      ->type_name("PATH");

  feedgraph::cli::TuneArgs tune_args;
  CLI::App* tune = app.add_subcommand(
      "tune", "Find the fastest concurrency and prefetch on this machine within the memory budget; --write them back");
  tune->add_option("file", file, "Pipeline file (YAML)")->required()->type_name("FILE");
  tune->add_option("--max-trials", tune_args.max_trials, "Measured runs at most, the first included (default 12)")
      ->type_name("N")
      ->check(CLI::Range(1, 1000));
  tune->add_option("--max-seconds", tune_args.max_seconds, "Start no trial that would end later than this (default 120)")
      ->type_name("S")
      ->check(CLI::PositiveNumber);
  tune->add_option("--trial-seconds", tune_args.trial_seconds, "Length of one trial (default 1; at most 100000 batches)")
      ->type_name("S")
      ->check(CLI::PositiveNumber);
  tune->add_option("--budget", tune_args.budget, "A tighter memory budget than the file's (host + pinned + device)")
      ->type_name("SIZE")
      ->check(check_budget);
  tune->add_option("--cores", tune_args.cores, "Cores the host stages may use (default: all of this machine's)")
      ->type_name("N")
      ->check(CLI::Range(1, 4096));
  tune->add_option("--write", tune_args.write_path,
                   "Write FILE with the tuned settings to PATH (its comments kept), for `feedgraph run` as it is")
      ->type_name("PATH");
  add_overrides(*tune, args);
  add_device(*tune, args);
  // Not add_json: this document is the trial table, not the run report.
  tune->add_option("--json", args.json_path, "Also write every trial and the choice as JSON to PATH")->type_name("PATH");

  feedgraph::cli::ProbeArgs probe_args;
  CLI::App* probe = app.add_subcommand(
      "probe", "Measure this machine's ceilings: H2D and D2H GB/s by size, copy engines, host memcpy, cores");
  probe->add_option("--device", args.device, "Probe this device: auto | cuda | cuda:N | host (default auto)")
      ->type_name("D")
      ->check(check_device);
  probe->add_option("--json", args.json_path, "Also write the measurements as JSON to PATH")->type_name("PATH");
  probe->add_option("--sizes", probe_args.sizes, "Transfer sizes of the link table (default 64KiB,...,256MiB)")
      ->type_name("LIST")
      ->delimiter(',')
      ->check(check_transfer_size);
  probe->add_option("--repeats", probe_args.repeats, "Timed copies per figure; the median is shown (default 5)")
      ->type_name("N")
      ->check(CLI::Range(1, 1000));

  feedgraph::cli::MakeDatasetArgs make_args;
  CLI::App* make_dataset = feedgraph::cli::add_make_dataset_command(app, make_args);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version arrive here too, with status 0.
    return app.exit(e) == 0 ? exit_ok : exit_usage;
  }

  if (app.get_subcommands().empty()) {
    fmt::print(stderr, "{}", app.help());
    return exit_usage;
  }

  // Ctrl-C and SIGTERM stop the run in progress cleanly, with a report (cli/interrupt.hpp).
  feedgraph::cli::install_interrupt_handling();
  try {
    if (run->parsed()) return feedgraph::cli::run_command(file, args);
    if (compare->parsed()) {
      return feedgraph::cli::compare_command(file2.empty() ? std::vector{file} : std::vector{file, file2}, args);
    }
    if (ablate->parsed()) return feedgraph::cli::ablate_command(file, repetitions, args);
    if (tune->parsed()) return feedgraph::cli::tune_command(file, tune_args, args);
    if (probe->parsed()) return feedgraph::cli::probe_command(probe_args, args);
    if (make_dataset->parsed()) return feedgraph::cli::make_dataset_command(make_args);
    return feedgraph::cli::validate_command(file, args);
  } catch (const feedgraph::ConfigError& e) {
    std::fflush(stdout);
    fmt::print(stderr, "{}\n", e.what());
    return exit_usage;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    fmt::print(stderr, "feedgraph: error: {}\n", e.what());
    return exit_failed;
  }
}
