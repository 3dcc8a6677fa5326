// One rank of the mpirun test (mpirun_shards.sh): runs a host pipeline over a records dataset with
// `shard: auto` and `threads: auto`, and writes the sample ids it received to OUT_DIR/rank-<shard index>.txt, one
// per line, after a first line "<shard index> <shard count> <core share> <local world> <cores> <batches>". The
// script then checks the ranks' files against each other.
//
//   shard_rank RECORDS_PATH OUT_DIR
#include <cstdio>
#include <exception>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "feedgraph/feedgraph.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: shard_rank RECORDS_PATH OUT_DIR\n");
    return 2;
  }
  try {
    const std::string yaml = "name: mpi-shards\ndevice: host\nbatch_size: 16\nepochs: 1\nseed: 5\nverify: true\n"
                             "dataset: {source: records, path: '" + std::string(argv[1]) +
                             "', shuffle: true, shard: auto}\nconcurrency: {read: 2, transform: 1}\n";
    const auto spec = feedgraph::parse_pipeline(yaml, "mpi-shards.yaml");
    const auto plan = feedgraph::plan(spec);
    std::vector<std::int64_t> ids;
    std::int64_t batches = 0;
    feedgraph::RunOptions options;
    options.on_batch = [&](const feedgraph::BatchRecord& r) {
      ids.insert(ids.end(), r.sample_ids.begin(), r.sample_ids.end());
      ++batches;
    };
    feedgraph::run(spec, options);
    std::ofstream out(std::string(argv[2]) + "/rank-" + std::to_string(plan.shard_index) + ".txt");
    out << plan.shard_index << ' ' << plan.shard_count << ' ' << plan.core_share << ' ' << plan.local_world << ' '
        << std::thread::hardware_concurrency() << ' ' << batches << '\n';
    for (auto id : ids) out << id << '\n';
    return out ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "shard_rank: %s\n", e.what());
    return 1;
  }
}
