// `feedgraph tune FILE`: the fastest concurrency and prefetch for the graph on this machine within its memory
// budget (feedgraph/tune.hpp). Prints the trials as they end, then the choice; --write a pipeline file with it.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/interrupt.hpp"
#include "cli/report.hpp"
#include "cli/tune_report.hpp"
#include "feedgraph/errors.hpp"
#include "feedgraph/pipeline.hpp"
#include "feedgraph/tools/tune.hpp"

namespace feedgraph::cli {
namespace {

void print(const std::string& text) {
  std::fputs(text.c_str(), stdout);
  std::fflush(stdout);
}

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "this host";
  return name;
}

/// Today, UTC, as 2026-11-24.
std::string today() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[16];
  std::strftime(text, sizeof text, "%Y-%m-%d", &utc);
  return text;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path, std::string("cannot read: ") + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw Error("cannot write " + path + ": " + std::strerror(errno));
  out << text;
  out.flush();
  if (!out) throw Error("cannot write " + path + ": write failed");
}

}  // namespace

int tune_command(const std::string& file, const TuneArgs& tune_args, const CommandArgs& args) {
  check_json_destination(args.json_path);
  check_json_destination(tune_args.write_path);
  const std::string original = tune_args.write_path.empty() ? std::string() : read_text(file);
  Pipeline pipeline = build_command_pipeline(file, args, false);  // the tune's trials are runs of it
  const PipelineSpec& spec = pipeline.spec();

  TuneOptions options;
  options.max_trials = tune_args.max_trials;
  options.max_seconds = tune_args.max_seconds;
  options.trial_seconds = tune_args.trial_seconds;
  options.cores = tune_args.cores;
  if (!tune_args.budget.empty()) options.memory_budget = parse_byte_size(tune_args.budget);

  // The first trial sizes nothing the heading needs: cores and budget are known before it.
  const int cores = options.cores > 0 ? options.cores : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  print(tune_heading(spec, options, cores, tune_memory_budget(pipeline.settings(), options)));
  TuneResult result;
  {
    const InterruptWatch watch(pipeline);
    int trials = 0;
    try {
      result = tune(pipeline, options, [&](const TuneTrial& t) {
        if (interrupt_requested()) {
          print(fmt::format("\ntune: interrupted during trial {}; the {} trial{} above ran whole, nothing was "
                            "written\n",
                            t.index, trials, trials == 1 ? "" : "s"));
          throw Interrupted{};
        }
        ++trials;
        print(tune_row(t));
      });
    } catch (const Interrupted&) {
      return interrupted_exit_status();
    }
  }
  print("\n");
  print(tune_summary(result));

  if (!args.json_path.empty()) write_json_file(args.json_path, tune_json(result, file));
  if (!tune_args.write_path.empty()) {
    // Every key the file left `auto` is written too, so that `run` starts without a tune of its own.
    std::vector<std::string> keys = result.keys;
    for (const auto& k : pipeline.settings().auto_keys())
      if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
    const std::string text =
        tuned_yaml(original, file, result.best_settings, keys, tune_comment(result, host_name(), today(), args.overrides));
    write_text(tune_args.write_path, text);
    print(fmt::format("wrote {}: {}\n", tune_args.write_path, result.best_settings.text()));
  }
  return 0;
}

}  // namespace feedgraph::cli
