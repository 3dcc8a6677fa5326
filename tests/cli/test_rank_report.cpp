// `feedgraph run` among several ranks: rank 0's aggregate line from the ranks' --json files, and a failed
// rank's file, which ends rank 0's wait for it at once and is named in the line.
#include <doctest/doctest.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>

#include "../temp_dir.hpp"
#include "cli/rank_report.hpp"

using namespace feedgraph;

namespace {

Plan rank_plan(int index, int count) {
  Plan p;
  p.shard_index = index;
  p.shard_count = count;
  p.shard_from = "RANK/WORLD_SIZE";
  return p;
}

void write_report(const std::string& path, double samples_per_s) {
  std::ofstream(path) << nlohmann::json{{"runs", {{{"samples_per_s", samples_per_s}}}}}.dump();
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

TEST_SUITE("cli") {
  TEST_CASE("rank 0 sums the ranks' reports and names the slowest") {
    fgtest::TempDir dir("rank-report");
    const std::string json = dir / "run.json";
    write_report(json + ".rank0", 300);
    write_report(json + ".rank1", 120);
    write_report(json + ".rank2", 200);
    const auto line = cli::aggregate_line(json, rank_plan(0, 3), 5);
    REQUIRE(line);
    CHECK(*line == "aggregate: 620.0 samples/s over 3 ranks (their sum); slowest rank 1 at 120.0 samples/s\n");
    CHECK_FALSE(cli::aggregate_line(json, rank_plan(1, 3), 5));  // only rank 0 sums
    CHECK_FALSE(cli::aggregate_line(json, Plan{}, 5));           // no launcher
  }

  TEST_CASE("a failed rank's file ends rank 0's wait at once and the line names its error") {
    fgtest::TempDir dir("rank-failure");
    const std::string json = dir / "run.json";
    write_report(json + ".rank0", 300);
    cli::write_rank_failure(json, rank_plan(1, 2), "data error: /data/x.jpg: not a JPEG file");
    std::ifstream written(json + ".rank1");
    const auto document = nlohmann::json::parse(written);
    CHECK(document["rank"] == 1);
    CHECK(document["error"] == "data error: /data/x.jpg: not a JPEG file");
    const auto start = std::chrono::steady_clock::now();
    const auto line = cli::aggregate_line(json, rank_plan(0, 2), 60);
    CHECK(seconds_since(start) < 30);  // not the 60 s it would wait for a report that never comes
    REQUIRE(line);
    CHECK(*line == "aggregate: rank 1 failed: data error: /data/x.jpg: not a JPEG file; nothing summed\n");
  }

  TEST_CASE("a rank that writes nothing is named after the wait / and no failure file is written without a launcher") {
    fgtest::TempDir dir("rank-missing");
    const std::string json = dir / "run.json";
    write_report(json + ".rank0", 300);
    const auto line = cli::aggregate_line(json, rank_plan(0, 3), 0.4);
    REQUIRE(line);
    CHECK(line->find("no report from rank 1, 2 after 0 s") != std::string::npos);
    CHECK(line->find("nothing summed") != std::string::npos);
    cli::write_rank_failure(json, Plan{}, "ignored");
    CHECK_FALSE(std::filesystem::exists(json));
    CHECK_FALSE(std::filesystem::exists(json + ".rank0.partial"));
  }
}
