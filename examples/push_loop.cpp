// The same loop pushed instead of pulled: feedgraph calls the step with each batch, on its compute stream,
// in order. Use it when the step needs nothing from the loop around it.
//
//   feedgraph_example_push [pipeline.yaml] [key=value ...]
#include <feedgraph/feedgraph.hpp>

#include <cstdio>
#include <vector>

#include "train_step.hpp"

int main(int argc, char** argv) try {
  const std::string path = argc > 1 && *argv[1] ? argv[1] : FEEDGRAPH_EXAMPLES_DIR "/loop.yaml";
  auto pipeline = feedgraph::Pipeline::from_file(path, std::vector<std::string>(argv + std::min(argc, 2), argv + argc));
  TrainStep step(pipeline.plan().backend, pipeline.plan().batches);

  std::int64_t expected_ticket = 0;
  bool in_order = true;
  const feedgraph::RunStats stats = pipeline.run([&](feedgraph::DeviceBatch& batch, cudaStream_t stream) {
    in_order &= batch.ticket() == expected_ticket++;
    step(batch, stream);  // queue, return: the batch's buffer is reused once the stream has run this
  });

  std::printf("%lld samples in %lld batches, %.0f samples/s (%s)\n", static_cast<long long>(stats.samples),
              static_cast<long long>(stats.batches), stats.samples_per_s, stats.verdict.c_str());
  const bool complete = stats.batches == pipeline.plan().batches && in_order;
  if (!complete) std::fprintf(stderr, "error: batches missing or out of order\n");
  return complete ? 0 : 1;
} catch (const feedgraph::Error& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}
