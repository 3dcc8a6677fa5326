#pragma once
// `feedgraph run` under a launcher that started several ranks (mpirun, torchrun, srun with `shard: auto`):
// each rank names itself on its report lines and writes its own `--json` file, and rank 0 sums them up.
#include <optional>
#include <string>

#include "feedgraph/pipeline.hpp"

namespace feedgraph::cli {

/// "rank 2 of 4: " when a launcher made this process one of several ranks; "" otherwise.
std::string rank_prefix(const Plan& plan);

/// Where this rank writes `--json PATH`: PATH.rank<r> among several ranks, so that none overwrites another's;
/// PATH otherwise.
std::string rank_path(const std::string& path, const Plan& plan);

/// Rank 0's aggregate line, from every rank's `--json` report (PATH.rank0 ... PATH.rank<N-1>), waiting up to
/// `wait_s` for the others to finish: the sum of the ranks' samples/s and the slowest rank. A rank whose run
/// failed writes its error there instead (write_rank_failure), so rank 0 stops waiting for it at once and
/// names it; a line says which ranks' reports never came when they do not. nullopt on other ranks, or
/// without a launcher.
std::optional<std::string> aggregate_line(const std::string& json_path, const Plan& plan, double wait_s = 300);

/// Among several ranks, with `--json PATH`: PATH.rank<r> says this rank's run failed, and why ({"feedgraph",
/// "rank", "error"}), written whole and renamed into place as a report is. Nothing otherwise.
void write_rank_failure(const std::string& json_path, const Plan& plan, const std::string& error);

}  // namespace feedgraph::cli
