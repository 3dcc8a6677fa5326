#include "cli/rank_report.hpp"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "cli/report.hpp"

namespace feedgraph::cli {
namespace {

/// What a rank's file says, once it is whole (it is renamed into place, so a file that is there parses):
/// its samples/s, or the error its run ended with.
struct RankOutcome {
  std::optional<double> rate;
  std::optional<std::string> error;
  bool known() const { return rate || error; }
};

RankOutcome outcome_of(const std::string& path) {
  std::ifstream in(path);
  if (!in) return {};
  const auto document = nlohmann::json::parse(in, nullptr, false);
  if (document.is_discarded()) return {};
  if (document.contains("error") && document["error"].is_string()) return {std::nullopt, document["error"].get<std::string>()};
  if (!document.contains("runs") || document["runs"].empty()) return {};
  return {document["runs"].back().value("samples_per_s", 0.0), std::nullopt};
}

}  // namespace

std::string rank_prefix(const Plan& plan) {
  if (plan.shard_from.empty() || plan.shard_count < 2) return "";
  return fmt::format("rank {} of {}: ", plan.shard_index, plan.shard_count);
}

std::string rank_path(const std::string& path, const Plan& plan) {
  return rank_prefix(plan).empty() ? path : path + ".rank" + std::to_string(plan.shard_index);
}

std::optional<std::string> aggregate_line(const std::string& json_path, const Plan& plan, double wait_s) {
  if (json_path.empty() || rank_prefix(plan).empty() || plan.shard_index != 0) return std::nullopt;
  const auto ranks = static_cast<std::size_t>(plan.shard_count);
  std::vector<RankOutcome> outcomes(ranks);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(wait_s);
  for (;;) {
    std::size_t missing = 0;
    for (std::size_t r = 0; r < ranks; ++r) {
      if (!outcomes[r].known()) outcomes[r] = outcome_of(json_path + ".rank" + std::to_string(r));
      missing += outcomes[r].known() ? 0 : 1;
    }
    if (missing == 0 || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  double sum = 0, slowest = 0;
  std::size_t slowest_rank = 0;
  bool first = true;
  std::string absent, failed;
  for (std::size_t r = 0; r < ranks; ++r) {
    const RankOutcome& o = outcomes[r];
    if (o.error) {
      failed += fmt::format("{}rank {} failed: {}", failed.empty() ? "" : "; ", r, *o.error);
    } else if (!o.rate) {
      absent += (absent.empty() ? "" : ", ") + std::to_string(r);
    } else {
      sum += *o.rate;
      if (first || *o.rate < slowest) slowest = *o.rate, slowest_rank = r;
      first = false;
    }
  }
  if (!failed.empty() || !absent.empty()) {
    std::string why = failed;
    if (!absent.empty())
      why += fmt::format("{}no report from rank {} after {:.0f} s ({}.rank<r>)", why.empty() ? "" : "; ", absent, wait_s,
                         json_path);
    return fmt::format("aggregate: {}; nothing summed\n", why);
  }
  return fmt::format("aggregate: {:.1f} samples/s over {} ranks (their sum); slowest rank {} at {:.1f} samples/s\n", sum,
                     ranks, slowest_rank, slowest);
}

void write_rank_failure(const std::string& json_path, const Plan& plan, const std::string& error) {
  if (json_path.empty() || rank_prefix(plan).empty()) return;
  const std::string path = rank_path(json_path, plan);
  nlohmann::ordered_json document = {{"feedgraph", version()}, {"rank", plan.shard_index}, {"error", error}};
  write_json_file(path + ".partial", document);
  std::filesystem::rename(path + ".partial", path);
}

}  // namespace feedgraph::cli
