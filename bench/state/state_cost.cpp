// feedgraph-state-bench: what checkpointing costs. Pipeline::state() while a pulling run is in progress (µs a
// call, with and without its JSON), and the time to the first batch of a run resumed mid-epoch against a
// fresh start of the same pipeline file. The public API only.
//
//   build/bin/feedgraph-state-bench [--samples N] [--batch B] [--device host|cuda] [--reps R]
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "feedgraph/feedgraph.hpp"

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string graph(std::int64_t samples, int batch, const std::string& device) {
  return fmt::format(
      "name: state-bench\ndevice: {}\nbatch_size: {}\nepochs: 4\nseed: 1\n"
      "dataset: {{source: synthetic, samples: {}, sample: {{shape: [64, 64, 3], dtype: uint8}}, shuffle: true}}\n"
      "transforms: [random_flip]\ndevice_transforms: [to_chw, {{normalize: {{mean: 127.5, std: 64}}}}]\n"
      "compute: {{kernel: checksum}}\n",
      device, batch, samples);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("What checkpointing costs: Pipeline::state() during a run, and time to the first batch resumed");
  std::int64_t samples = 20000;
  int batch = 256, reps = 7;
  std::string device = "auto";
  app.add_option("--samples", samples);
  app.add_option("--batch", batch);
  app.add_option("--device", device);
  app.add_option("--reps", reps);
  CLI11_PARSE(app, argc, argv);
  const std::string yaml = graph(samples, batch, device);

  // state() while batches are pulled.
  feedgraph::Pipeline p = feedgraph::Pipeline::from_yaml(yaml, "state-bench");
  std::vector<double> state_us, json_us;
  int n = 0;
  for (feedgraph::DeviceBatch& b : p.batches()) {
    (void)b;
    auto t = Clock::now();
    const feedgraph::PipelineState s = p.state();
    state_us.push_back(seconds_since(t) * 1e6);
    t = Clock::now();
    const std::string text = feedgraph::state_json(s);
    json_us.push_back(seconds_since(t) * 1e6);
    if (++n == 200) break;
  }
  p.stop();
  fmt::print("state(): median {:.1f} us, JSON {:.1f} us ({} calls during a pulling run on {})\n", median(state_us),
             median(json_us), state_us.size(), p.plan().backend);

  // Time to the first batch: a fresh start against a resume in epoch 2, halfway through it.
  const std::int64_t mid = p.plan().batches_per_epoch / 2;
  feedgraph::PipelineState saved;
  {
    feedgraph::Pipeline q = feedgraph::Pipeline::from_yaml(yaml, "state-bench");
    auto settings = q.settings();
    settings.limit.max_batches = p.plan().batches_per_epoch * 2 + mid;
    q.run(settings);
    saved = q.state();
  }
  std::vector<double> fresh, resumed;
  for (int r = 0; r < reps; ++r) {
    for (bool resume : {false, true}) {
      feedgraph::Pipeline q = feedgraph::Pipeline::from_yaml(yaml, "state-bench");
      const auto t = Clock::now();
      if (resume) q.resume(saved);
      auto range = q.batches();
      auto it = range.begin();
      (resume ? resumed : fresh).push_back(seconds_since(t) * 1e3);
      if (resume && (it->epoch() != saved.epoch || it->index() != saved.batches)) {
        fmt::print(stderr, "resumed at the wrong batch\n");
        return 1;
      }
    }
  }
  fmt::print("first batch: fresh start median {:.2f} ms, resumed at epoch {} batch {} median {:.2f} ms ({} reps)\n",
             median(fresh), saved.epoch, saved.batches, median(resumed), reps);
  return 0;
}
