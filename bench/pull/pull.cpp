// pull-*: a graph pulled by a training loop against the same graph with its built-in compute node. The loop
// (Pipeline::batches on a stream of its own) queues a checksum kernel over the batch and moves on, and the
// compute node runs the same kernel (the graph's own compute is replaced by it: seed's is a matmul); the target is >= 95% of the compute node's samples/s. The pulled graph does a little more GPU
// work, not less: verify still checksums each batch on the engine's compute stream before handing it over.
#include "runner/scenario.hpp"

#if FEEDGRAPH_HAVE_CUDA
#include <cuda_runtime_api.h>
#endif

namespace feedgraph::bench {
namespace {

RunStats pull_loop(Pipeline& pipeline) {
  const bool cuda = pipeline.plan().backend == "cuda";
  CUstream_st* stream = nullptr;
  std::uint64_t* sums = nullptr;  // one per batch, where the loop's kernel writes
#if FEEDGRAPH_HAVE_CUDA
  if (cuda) {
    cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking);
    cudaMalloc(reinterpret_cast<void**>(&sums), static_cast<std::size_t>(pipeline.plan().batches) * sizeof(std::uint64_t));
  }
#endif
  std::uint64_t host_sum = 0;
  for (DeviceBatch& batch : pipeline.batches(stream)) {
    if (cuda) {
      enqueue_device_checksum(batch.view(), sums + batch.ticket(), stream);
    } else {
      host_sum += batch_checksum({batch.data(), batch.size_bytes()}, batch.sample_layout()->bytes());
    }
  }
  RunStats stats = pipeline.stats();
#if FEEDGRAPH_HAVE_CUDA
  if (cuda) {
    cudaStreamSynchronize(stream);
    cudaFree(sums);
    cudaStreamDestroy(stream);
  }
#endif
  return stats;
}

Scenario pull_scenario(const std::string& name, const std::string& graph) {
  Scenario s{name, graph, "a training loop pulling " + graph + " against its built-in compute node", false, true,
             no_bound};
  // Both sides do the same work per batch: the compute node runs the checksum the loop runs.
  s.overrides = {"compute={kernel: checksum}"};
  s.baseline_name = "built-in compute node";
  s.run = pull_loop;
  return s;
}

}  // namespace

std::vector<Scenario> pull_scenarios() {
  Scenario seed = pull_scenario("pull-seed", "seed.yaml");
  seed.overrides.push_back("epochs=8");  // 64 batches: seed's own 16 end before the run settles
  return {pull_scenario("pull-transfer-bound", "transfer-bound.yaml"), seed, pull_scenario("pull-overhead", "overhead.yaml")};
}

}  // namespace feedgraph::bench
