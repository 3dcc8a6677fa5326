// Pipeline on a real GPU: a pulling loop reads every batch intact on its own stream, with the labels beside
// it, even when its work is slow and it lets go of each batch at once (the next copy into that buffer waits
// for the loop's work on the device); a push function gets the compute stream. Label `gpu`.
#include <cuda_runtime_api.h>

#include "../graph/graph_test_util.hpp"

namespace fgtest {
void enqueue_sleep(cudaStream_t stream, unsigned long long ns);
}

using namespace feedgraph;

namespace {

std::string gpu_graph() {
  return "name: pull\ndevice: cuda\nbatch_size: 8\nepochs: 2\n"
         "dataset: {source: synthetic, samples: 100, sample: {shape: [3, 32, 32], dtype: float32}, seed: 3, classes: 7}\n"
         "transforms: [{normalize: {mean: 0.5, std: 0.25}}]\nprefetch: 4\nbuffers: {device: 2}\n"
         "verify: true\nwatchdog_s: 30\n";
}

/// Device memory for one result per batch and one label per sample, read back at the end.
struct Results {
  explicit Results(std::int64_t batches, std::int64_t samples) : sums(static_cast<std::size_t>(batches)), labels(static_cast<std::size_t>(samples)) {
    REQUIRE(cudaMalloc(reinterpret_cast<void**>(&d_sums), sums.size() * 8) == cudaSuccess);
    REQUIRE(cudaMalloc(reinterpret_cast<void**>(&d_labels), labels.size() * 8) == cudaSuccess);
  }
  ~Results() {
    cudaFree(d_sums);
    cudaFree(d_labels);
  }
  void read_back(cudaStream_t s) {
    REQUIRE(cudaMemcpyAsync(sums.data(), d_sums, sums.size() * 8, cudaMemcpyDeviceToHost, s) == cudaSuccess);
    REQUIRE(cudaMemcpyAsync(labels.data(), d_labels, labels.size() * 8, cudaMemcpyDeviceToHost, s) == cudaSuccess);
    REQUIRE(cudaStreamSynchronize(s) == cudaSuccess);
  }
  std::vector<std::uint64_t> sums;
  std::vector<std::int64_t> labels;
  std::uint64_t* d_sums = nullptr;
  std::int64_t* d_labels = nullptr;
};

}  // namespace

TEST_SUITE("gpu") {
  TEST_CASE("cuda: a slow pulling loop reads every batch intact on its own stream though it lets go at once") {
    const PipelineSpec spec = parse_pipeline(gpu_graph(), "pull.yaml");
    Pipeline pipeline(spec);
    REQUIRE(pipeline.plan().backend == "cuda");
    cudaStream_t stream{};
    REQUIRE(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking) == cudaSuccess);
    Results r(pipeline.plan().batches, pipeline.plan().batches * 8);
    std::vector<std::vector<std::int64_t>> ids;
    std::vector<std::int64_t> epochs;
    for (DeviceBatch& batch : pipeline.batches(stream)) {
      CHECK(batch.ticket() == static_cast<std::int64_t>(ids.size()));
      // Slow work first: with two device buffers, a copy that did not wait for this loop's release would
      // overwrite the batch before the checksum below reads it.
      fgtest::enqueue_sleep(stream, 300'000);
      enqueue_device_checksum(batch.view(), r.d_sums + batch.ticket(), stream);
      REQUIRE(cudaMemcpyAsync(r.d_labels + batch.ticket() * 8, batch.labels(), static_cast<std::size_t>(batch.samples()) * 8,
                              cudaMemcpyDeviceToDevice, stream) == cudaSuccess);
      ids.emplace_back(batch.sample_ids().begin(), batch.sample_ids().end());
      epochs.push_back(batch.epoch());
    }  // each batch released on `stream` as the loop moves on, with the sleep still queued
    r.read_back(stream);
    REQUIRE(ids.size() == 26);
    for (std::size_t i = 0; i < ids.size(); ++i) {
      CAPTURE(i);
      CHECK(r.sums[i] == fgtest::expected_checksum(spec, ids[i], epochs[i]));
      for (std::size_t j = 0; j < ids[i].size(); ++j) CHECK(r.labels[i * 8 + j] == ids[i][j] % 7);
    }
    CHECK(pipeline.stats().batches == 26);
    cudaStreamDestroy(stream);
  }

  TEST_CASE("cuda: pulled batches after device_transforms are the transformed bytes on the loop's stream") {
    const std::string yaml =
        "name: u8\ndevice: cuda\nbatch_size: 4\nepochs: 1\n"
        "dataset: {source: synthetic, samples: 10, sample: {shape: [6, 5, 3], dtype: uint8}}\n"
        "device_transforms: [to_chw, {normalize: {mean: 100, std: 50}}]\nwatchdog_s: 30\n";
    // The host backend runs the same fused arithmetic: its batches are the reference.
    std::vector<std::vector<float>> host;
    Pipeline on_host = Pipeline::from_yaml(yaml, "u8.yaml", {"device=host"});
    for (DeviceBatch& b : on_host.batches()) host.emplace_back(b.data_as<float>(), b.data_as<float>() + b.size_bytes() / 4);
    Pipeline on_gpu = Pipeline::from_yaml(yaml, "u8.yaml");
    cudaStream_t stream{};
    REQUIRE(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking) == cudaSuccess);
    std::size_t i = 0;
    for (DeviceBatch& b : on_gpu.batches(stream)) {
      REQUIRE(i < host.size());
      CHECK(b.shape()[1] == 3);
      std::vector<float> got(b.size_bytes() / 4);
      REQUIRE(cudaMemcpyAsync(got.data(), b.data(), b.size_bytes(), cudaMemcpyDeviceToHost, stream) == cudaSuccess);
      REQUIRE(cudaStreamSynchronize(stream) == cudaSuccess);
      REQUIRE(got.size() == host[i].size());
      for (std::size_t k = 0; k < got.size(); ++k) CHECK(got[k] == doctest::Approx(host[i][k]).epsilon(1e-6));
      ++i;
    }
    CHECK(i == 3);
    cudaStreamDestroy(stream);
  }

  TEST_CASE("cuda: a push function queues its work on the compute stream and sees every batch intact") {
    const PipelineSpec spec = parse_pipeline(gpu_graph(), "push.yaml");
    Pipeline pipeline(spec);
    Results r(pipeline.plan().batches, pipeline.plan().batches * 8);
    std::vector<std::vector<std::int64_t>> ids;
    std::vector<std::int64_t> epochs;
    const RunStats stats = pipeline.run([&](DeviceBatch& batch, CUstream_st* stream) {
      CHECK(stream != nullptr);
      fgtest::enqueue_sleep(stream, 100'000);
      enqueue_device_checksum(batch.view(), r.d_sums + batch.ticket(), stream);
      ids.emplace_back(batch.sample_ids().begin(), batch.sample_ids().end());
      epochs.push_back(batch.epoch());
    });
    CHECK(stats.batches == 26);
    r.read_back(nullptr);
    for (std::size_t i = 0; i < ids.size(); ++i) CHECK(r.sums[i] == fgtest::expected_checksum(spec, ids[i], epochs[i]));
  }
}
