// A program built against the installed feedgraph package, as a training loop would be: it pulls the
// batches of a small host pipeline and checks that every sample arrived exactly once per epoch and that the
// bytes are the ones the pipeline computed. Exit status 0 when they were.
#include <feedgraph/feedgraph.hpp>

#include <cstdint>
#include <exception>
#include <iostream>
#include <map>
#include <utility>

int main() try {
  constexpr std::int64_t samples = 100, batch_size = 16;
  constexpr int epochs = 2;
  auto pipeline = feedgraph::Pipeline::from_yaml(R"(
name: consumer
device: host
batch_size: 16
epochs: 2
dataset: {source: synthetic, samples: 100, sample: {shape: [3, 8, 8], dtype: float32}, classes: 10}
transforms: [{normalize: {mean: 0.5, std: 0.25}}]
)", "consumer.yaml");

  std::int64_t batches = 0, bad_labels = 0;
  std::map<std::pair<std::int64_t, std::int64_t>, int> seen;  // (epoch, sample id) -> times delivered
  for (feedgraph::DeviceBatch& batch : pipeline.batches()) {
    ++batches;
    for (std::size_t j = 0; j < batch.sample_ids().size(); ++j) {
      ++seen[{batch.epoch(), batch.sample_ids()[j]}];
      if (batch.host_labels()[j] != batch.sample_ids()[j] % 10) ++bad_labels;
    }
  }
  const auto stats = pipeline.stats();  // verify: true, so every batch's checksum was compared

  bool once = seen.size() == static_cast<std::size_t>(epochs * samples);
  for (int epoch = 0; epoch < epochs; ++epoch)
    for (std::int64_t id = 0; id < samples; ++id) once = once && seen[{epoch, id}] == 1;
  const bool ok = once && bad_labels == 0 && batches == stats.batches &&
                  batches == epochs * ((samples + batch_size - 1) / batch_size);

  std::cout << "consumer: feedgraph " << feedgraph::version() << ", " << stats.backend << " backend: " << batches
            << " batches, " << stats.samples << " samples, "
            << (ok ? "every sample once per epoch" : "MISMATCH") << "\n";
  return ok ? 0 : 1;
} catch (const std::exception& e) {
  std::cerr << "consumer: error: " << e.what() << "\n";
  return 1;
}
