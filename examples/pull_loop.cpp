// A training loop that pulls its batches from feedgraph (the shape of a real one; TrainStep stands in for
// the model). Each batch arrives ready on the loop's stream: the engine made the stream wait for the copy on
// the device, so the loop queues its step and goes on, and the buffer goes back to the pipeline once the
// step has run.
//
//   feedgraph_example_pull [pipeline.yaml] [key=value ...]      e.g. device=host epochs=1
#include <feedgraph/feedgraph.hpp>

#include <cstdio>
#include <set>
#include <vector>

#include "train_step.hpp"

int main(int argc, char** argv) try {
  const std::string path = argc > 1 && *argv[1] ? argv[1] : FEEDGRAPH_EXAMPLES_DIR "/loop.yaml";
  auto pipeline = feedgraph::Pipeline::from_file(path, std::vector<std::string>(argv + std::min(argc, 2), argv + argc));
  const feedgraph::Plan& plan = pipeline.plan();
  std::printf("%s on %s: %lld batches of %s\n", pipeline.spec().name.c_str(), plan.device_name.c_str(),
              static_cast<long long>(plan.batches), plan.layout.describe().c_str());

  cudaStream_t stream = nullptr;
#if FEEDGRAPH_HAVE_CUDA
  if (plan.backend == "cuda") cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking);
#endif
  TrainStep step(plan.backend, plan.batches);

  std::vector<std::set<std::int64_t>> seen(static_cast<std::size_t>(pipeline.spec().epochs));
  bool once = true;
  for (feedgraph::DeviceBatch& batch : pipeline.batches(stream)) {
    step(batch, stream);  // queued on `stream`; nothing here waits for the GPU
    for (std::int64_t id : batch.sample_ids()) once &= seen[static_cast<std::size_t>(batch.epoch())].insert(id).second;
    if (batch.index() == 0) std::printf("epoch %lld\n", static_cast<long long>(batch.epoch()));
  }  // moving to the next batch released this one on `stream`

  const auto& results = step.results(stream);
  const feedgraph::RunStats stats = pipeline.stats();
  std::printf("%lld samples in %lld batches, %.0f samples/s, %zu steps run\n", static_cast<long long>(stats.samples),
              static_cast<long long>(stats.batches), stats.samples_per_s, results.size());
#if FEEDGRAPH_HAVE_CUDA
  if (stream) cudaStreamDestroy(stream);
#endif
  for (const auto& epoch : seen) once &= static_cast<std::int64_t>(epoch.size()) == plan.samples;
  if (!once) std::fprintf(stderr, "error: a sample was missing or delivered twice in an epoch\n");
  return once ? 0 : 1;
} catch (const feedgraph::Error& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}
