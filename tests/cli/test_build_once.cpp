// Every command assembles each pipeline file once (its device chosen, stages built, files listed, sample order
// made), however many runs, plans and trials it then makes of it: the serial twin, ablation rows and tune
// candidates are settings of the one built pipeline.
#include <doctest/doctest.h>

#include <fstream>

#include "../graph/graph_test_util.hpp"
#include "../temp_dir.hpp"
#include "cli/commands.hpp"
#include "feedgraph/resources.hpp"

using namespace feedgraph;

namespace {

std::string write_file(const fgtest::TempDir& dir, const std::string& name, const std::string& text) {
  const std::string path = dir / name;
  std::ofstream(path) << text;
  return path;
}

/// How many assemblies `fn` made.
template <class Fn>
std::int64_t assemblies_of(Fn&& fn) {
  const std::int64_t before = assemblies_built();
  fn();
  return assemblies_built() - before;
}

cli::CommandArgs quiet_args() {
  cli::CommandArgs args;
  args.quiet = true;
  return args;
}

}  // namespace

TEST_SUITE("cli") {

TEST_CASE("feedgraph run and compare assemble each file once") {
  fgtest::TempDir dir("build-once");
  const std::string file = write_file(dir, "small.yaml", fgtest::small_graph(64, 8, 1));
  const std::string other = write_file(dir, "other.yaml", fgtest::small_graph(64, 8, 1, "prefetch: 2\n"));
  const cli::CommandArgs args = quiet_args();
  CHECK(assemblies_of([&] { CHECK(cli::run_command(file, args) == 0); }) == 1);
  // One file: its serial twin and the file, two runs of one pipeline.
  CHECK(assemblies_of([&] { CHECK(cli::compare_command({file}, args) == 0); }) == 1);
  CHECK(assemblies_of([&] { CHECK(cli::compare_command({file, other}, args) == 0); }) == 2);
  CHECK(assemblies_of([&] { CHECK(cli::validate_command(file, args) == 0); }) == 1);
}

TEST_CASE("a file with auto keys is tuned on the pipeline it runs: one assembly") {
  fgtest::TempDir dir("build-once-auto");
  const std::string file =
      write_file(dir, "auto.yaml", fgtest::small_graph(128, 8, 1, "concurrency: {read: auto}\nprefetch: auto\n"));
  CHECK(assemblies_of([&] { CHECK(cli::run_command(file, quiet_args()) == 0); }) == 1);
  CHECK(assemblies_of([&] { Pipeline p = Pipeline::from_file(file); (void)p.run(); (void)p.run(); }) == 1);
}

TEST_CASE("a 12-trial tune and an ablation assemble the file once") {
  fgtest::TempDir dir("build-once-tune");
  // Reads that wait on "storage", so that the tune has a reason to raise read and runs many trials.
  const std::string file = write_file(dir, "slow.yaml",
                                      "name: slow\ndevice: host\nbatch_size: 8\n"
                                      "dataset: {source: synthetic, samples: 256, sample: {shape: [3, 8, 8], dtype: "
                                      "float32}, cost: {io_us: 100}}\n"
                                      "transforms: [{normalize: {mean: 0.5, std: 0.25}}]\n"
                                      "compute: {kernel: checksum}\nwatchdog_s: 20\n");
  cli::TuneArgs tune;
  tune.max_trials = 12;
  tune.trial_seconds = 0.05;
  tune.max_seconds = 60;
  tune.cores = 2;
  std::int64_t trials = 0;
  const std::string json = dir / "tune.json";
  cli::CommandArgs args = quiet_args();
  args.json_path = json;
  CHECK(assemblies_of([&] { CHECK(cli::tune_command(file, tune, args) == 0); }) == 1);
  std::ifstream in(json);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (std::size_t at = text.find("\"why\""); at != std::string::npos; at = text.find("\"why\"", at + 1)) ++trials;
  CHECK(trials >= 3);  // the service-time trial, the model's, the file's: more than one run of one assembly

  CHECK(assemblies_of([&] { CHECK(cli::ablate_command(file, 3, quiet_args()) == 0); }) == 1);
}

}  // TEST_SUITE
