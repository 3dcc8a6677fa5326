// A program built against the installed feedgraph package: run a small host pipeline and check that every
// sample arrived exactly once per epoch. Exit status 0 when it did.
#include <feedgraph/feedgraph.hpp>

#include <cstdint>
#include <exception>
#include <iostream>
#include <map>
#include <utility>

int main() try {
  constexpr std::int64_t samples = 100, batch_size = 16;
  constexpr int epochs = 2;
  const auto spec = feedgraph::parse_pipeline(R"(
name: consumer
device: host
batch_size: 16
epochs: 2
dataset: {source: synthetic, samples: 100, sample: {shape: [3, 8, 8], dtype: float32}}
transforms: [{normalize: {mean: 0.5, std: 0.25}}]
compute: {kernel: checksum}
)", "consumer.yaml");

  std::int64_t batches = 0, bad_checksums = 0;
  std::map<std::pair<std::int64_t, std::int64_t>, int> seen;  // (epoch, sample id) -> times delivered
  feedgraph::RunOptions options;
  options.on_batch = [&](const feedgraph::BatchRecord& batch) {
    ++batches;
    if (batch.host_checksum != batch.device_checksum) ++bad_checksums;
    for (auto id : batch.sample_ids) ++seen[{batch.epoch, id}];
  };
  const auto stats = feedgraph::run(spec, options);

  bool once = seen.size() == static_cast<std::size_t>(epochs * samples);
  for (int epoch = 0; epoch < epochs; ++epoch)
    for (std::int64_t id = 0; id < samples; ++id) once = once && seen[{epoch, id}] == 1;
  const bool ok = once && bad_checksums == 0 && batches == stats.batches &&
                  batches == epochs * ((samples + batch_size - 1) / batch_size);

  std::cout << "consumer: feedgraph " << feedgraph::version() << ", " << stats.backend << " backend: " << batches
            << " batches, " << stats.samples << " samples, "
            << (ok ? "every sample once per epoch" : "MISMATCH") << "\n";
  return ok ? 0 : 1;
} catch (const std::exception& e) {
  std::cerr << "consumer: error: " << e.what() << "\n";
  return 1;
}
