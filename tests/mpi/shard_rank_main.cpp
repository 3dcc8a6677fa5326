// One rank of the mpirun test (mpirun_shards.sh): runs a host pipeline over a records dataset with
// `shard: auto` and `threads: auto`, and writes the sample ids it received to OUT_DIR/rank-<shard index>.txt, one
// per line, after a first line "<shard index> <shard count> <core share> <local world> <cores> <batches>". The
// script then checks the ranks' files against each other. With DEVICE `auto` (several GPUs) the rank pulls its
// batches and checks that each lies in the memory of the GPU its local rank picked; the first line then ends
// with that GPU's index (-1 on the host).
//
//   shard_rank RECORDS_PATH OUT_DIR [DEVICE]
#include <cstdio>
#include <exception>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "feedgraph/feedgraph.hpp"
#if FEEDGRAPH_HAVE_CUDA
#include <cuda_runtime_api.h>
#endif

int main(int argc, char** argv) {
  if (argc != 3 && argc != 4) {
    std::fprintf(stderr, "usage: shard_rank RECORDS_PATH OUT_DIR [DEVICE]\n");
    return 2;
  }
  try {
    const std::string device = argc == 4 ? argv[3] : "host";
    const std::string yaml = "name: mpi-shards\ndevice: " + device + "\nbatch_size: 16\nepochs: 1\nseed: 5\nverify: true\n"
                             "dataset: {source: records, path: '" + std::string(argv[1]) +
                             "', shuffle: true, shard: auto}\nconcurrency: {read: 2, transform: 1}\n";
    const auto spec = feedgraph::parse_pipeline(yaml, "mpi-shards.yaml");
    const auto plan = feedgraph::plan(spec);
    std::vector<std::int64_t> ids;
    std::int64_t batches = 0;
    int gpu = -1;
    if (plan.backend == "cuda") {
#if FEEDGRAPH_HAVE_CUDA
      // Pulled, so that each batch's own memory can be asked which GPU holds it.
      gpu = plan.device_index;
      feedgraph::Pipeline pipeline(spec);
      for (feedgraph::DeviceBatch& b : pipeline.batches()) {
        cudaPointerAttributes attributes{};
        if (cudaPointerGetAttributes(&attributes, b.data()) != cudaSuccess || attributes.device != gpu) {
          std::fprintf(stderr, "shard_rank: a batch of rank %d is not on cuda:%d\n", plan.shard_index, gpu);
          return 1;
        }
        ids.insert(ids.end(), b.sample_ids().begin(), b.sample_ids().end());
        ++batches;
      }
#endif
    } else {
      feedgraph::RunOptions options;
      options.on_batch = [&](const feedgraph::BatchRecord& r) {
        ids.insert(ids.end(), r.sample_ids.begin(), r.sample_ids.end());
        ++batches;
      };
      feedgraph::run(spec, options);
    }
    std::ofstream out(std::string(argv[2]) + "/rank-" + std::to_string(plan.shard_index) + ".txt");
    out << plan.shard_index << ' ' << plan.shard_count << ' ' << plan.core_share << ' ' << plan.local_world << ' '
        << std::thread::hardware_concurrency() << ' ' << batches << ' ' << gpu << '\n';
    for (auto id : ids) out << id << '\n';
    return out ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "shard_rank: %s\n", e.what());
    return 1;
  }
}
