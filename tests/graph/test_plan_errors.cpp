// Errors found while planning point into the file, as parse errors do: the key that decides them, with its
// file:line:col (or the --set override that wrote it).
#include <doctest/doctest.h>

#include "graph_test_util.hpp"

using namespace feedgraph;

TEST_SUITE_BEGIN("graph");

TEST_CASE("a plan over memory_budget names the file / line / column and key") {
  const std::string text = fgtest::small_graph(64, 8, 1, "memory_budget: 1KiB\n");
  CHECK_THROWS_WITH_AS(plan(parse_pipeline(text, "budget.yaml")),
                       doctest::Contains("budget.yaml:9:16: memory_budget: the graph needs"), ConfigError);
  // Set from the command line: the override is named instead of a line of the file.
  CHECK_THROWS_WITH_AS(plan(parse_pipeline(fgtest::small_graph(64, 8, 1), "budget.yaml", {"memory_budget=1KiB"})),
                       doctest::Contains("memory_budget=1KiB"), ConfigError);
  // A tighter budget given in code is no key of the file: a plain Error, saying which budget.
  Pipeline pipeline(parse_pipeline(fgtest::small_graph(64, 8, 1), "budget.yaml"));
  RunSettings tight = pipeline.settings();
  tight.memory_budget = 1024;
  try {
    (void)pipeline.plan(tight);
    FAIL("no error");
  } catch (const ConfigError&) {
    FAIL("a ConfigError for a budget the file does not set");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).starts_with("memory: the graph needs"));
  }
}

TEST_CASE("a shard the dataset leaves empty names dataset.shard with its line and column") {
  const std::string text =
      "name: shards\ndevice: host\nbatch_size: 1\n"
      "dataset: {source: synthetic, samples: 2, sample: {shape: [4], dtype: uint8},\n"
      "          shard: {index: 2, count: 3, uneven: drop}}\n";
  CHECK_THROWS_WITH_AS(plan(parse_pipeline(text, "shards.yaml")),
                       doctest::Contains("shards.yaml:5:18: dataset.shard: shard 2 of 3: the dataset's 2 samples leave "
                                         "it empty (uneven: drop)"),
                       ConfigError);
}

TEST_SUITE_END();
