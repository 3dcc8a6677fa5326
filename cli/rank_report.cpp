#include "cli/rank_report.hpp"

#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

namespace feedgraph::cli {
namespace {

/// A rank's samples/s from its report, once the file is whole (it is renamed into place, so a file that is
/// there parses; nullopt until then).
std::optional<double> rate_of(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  const auto document = nlohmann::json::parse(in, nullptr, false);
  if (document.is_discarded() || !document.contains("runs") || document["runs"].empty()) return std::nullopt;
  return document["runs"].back().value("samples_per_s", 0.0);
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
  std::vector<std::optional<double>> rates(ranks);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(wait_s);
  for (;;) {
    std::size_t missing = 0;
    for (std::size_t r = 0; r < ranks; ++r) {
      if (!rates[r]) rates[r] = rate_of(json_path + ".rank" + std::to_string(r));
      missing += rates[r] ? 0 : 1;
    }
    if (missing == 0 || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  double sum = 0, slowest = 0;
  std::size_t slowest_rank = 0;
  std::string absent;
  for (std::size_t r = 0; r < ranks; ++r) {
    if (!rates[r]) {
      absent += (absent.empty() ? "" : ", ") + std::to_string(r);
      continue;
    }
    sum += *rates[r];
    if (r == 0 || *rates[r] < slowest) slowest = *rates[r], slowest_rank = r;
  }
  if (!absent.empty())
    return fmt::format("aggregate: no report from rank {} after {:.0f} s ({}.rank<r>); nothing summed\n", absent, wait_s,
                       json_path);
  return fmt::format("aggregate: {:.1f} samples/s over {} ranks (their sum); slowest rank {} at {:.1f} samples/s\n", sum,
                     ranks, slowest_rank, slowest);
}

}  // namespace feedgraph::cli
