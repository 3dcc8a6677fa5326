#pragma once
// The subcommands of `feedgraph`, separate from the argument parsing in main.cpp. Each returns the
// process exit status and lets feedgraph::Error (and anything else) propagate to main, which maps it.
#include <cstdint>
#include <string>
#include <vector>

#include "feedgraph/tools/make_dataset.hpp"
#include "feedgraph/pipeline.hpp"
#include "feedgraph/spec.hpp"

namespace CLI {
class App;
}

namespace feedgraph::cli {

/// What every subcommand may be given besides its files.
struct CommandArgs {
  std::vector<std::string> overrides;  ///< `--set key.path=value`, in order
  std::string device;                  ///< `--device`; empty keeps the file's
  std::string json_path;               ///< `--json`; empty writes none
  std::string trace_path;              ///< `--trace` (run, compare): Chrome trace JSON; empty writes none
  std::string report_path;             ///< `compare --report`: the SVG timeline; empty writes none
  bool quiet = false;                  ///< `run --quiet`: no plan line, progress or report
  std::int64_t stop_after = 0;         ///< `run --stop-after`: batches to deliver, then stop; 0: all
  std::string save_state;              ///< `run --save-state`: where the state goes (feedgraph/state.hpp)
  std::int64_t save_every = 0;         ///< `run --save-every`: also save after every N batches; 0: at the end only
  std::vector<std::string> resume;     ///< `run --resume`: the state(s) to go on from (several: every old rank's)
};

/// The file with `--set` and `--device` applied; `auto` keys left as they are.
PipelineSpec load_command_spec(const std::string& file, const CommandArgs& args);
/// The file built once (load_command_spec), with its `auto` keys chosen by a short tune of it when `resolve`
/// (feedgraph::resolve_auto), the choice printed as one line unless `args.quiet`. Every command drives the
/// Pipeline this returns: a file is assembled once per command.
Pipeline build_command_pipeline(const std::string& file, const CommandArgs& args, bool resolve = true);

/// Run one pipeline and report it.
int run_command(const std::string& file, const CommandArgs& args);
/// One file: its serial twin, then the file. Two files: the first, then the second. Reports both and the
/// speedup of the second over the first.
int compare_command(const std::vector<std::string>& files, const CommandArgs& args);
/// Load and plan without running; prints the plan and "ok".
int validate_command(const std::string& file, const CommandArgs& args);
/// The serial twin, the five input-pipeline techniques of PyTorch's DataLoader guides added one at a time, then each removed from the full graph;
/// every row `repetitions` (≥ 3) times. Prints a table of medians, spreads and speedups (ablate_command.cpp).
int ablate_command(const std::string& file, int repetitions, const CommandArgs& args);

/// What `feedgraph tune` takes besides --set, --device and --json (CommandArgs).
struct TuneArgs {
  int max_trials = 12;        ///< `--max-trials`
  double max_seconds = 120;   ///< `--max-seconds`
  double trial_seconds = 1;   ///< `--trial-seconds`
  int cores = 0;              ///< `--cores`; 0: every core of the machine
  std::string budget;         ///< `--budget`: a tighter memory budget than the file's; empty: the file's
  std::string write_path;     ///< `--write`: the file with the tuned settings; empty writes none
};
/// Tunes concurrency and prefetch (feedgraph::tune), prints every trial and the choice, writes --json and
/// --write (tune_command.cpp).
int tune_command(const std::string& file, const TuneArgs& tune_args, const CommandArgs& args);

/// What `feedgraph probe` takes besides --device and --json (CommandArgs).
struct ProbeArgs {
  std::vector<std::string> sizes;  ///< `--sizes`: transfer sizes ("64KiB", "1MiB"); empty keeps the default table
  int repeats = 5;                 ///< `--repeats`: timed copies per figure, median kept
};
/// This machine's ceilings: the link table, copy engines, host memcpy and cores; `--device` picks the
/// backend (default auto). Prints a table and writes `--json` (probe_command.cpp).
int probe_command(const ProbeArgs& probe, const CommandArgs& args);

/// What `feedgraph make-dataset` collects: the library's options, and the flags that need converting.
struct MakeDatasetArgs {
  MakeDatasetOptions options;
  std::vector<std::int64_t> shape;  ///< `--shape 3,32,32`; empty keeps the default
  std::string dtype;                ///< `--dtype`; empty keeps the default
  std::string size;                 ///< `--size WxH`; empty keeps the default
};
/// Declares the `make-dataset` subcommand and its options on `app` (make_dataset_command.cpp).
CLI::App* add_make_dataset_command(CLI::App& app, MakeDatasetArgs& args);
/// Writes the dataset and prints its files, samples and bytes. An option make_dataset() rejects is a
/// ConfigError, which main reports as a usage error.
int make_dataset_command(MakeDatasetArgs& args);

/// Throws feedgraph::Error when `path` ("" for none) cannot be written: checked before a long run starts.
void check_json_destination(const std::string& path);

}  // namespace feedgraph::cli
