// Sizes a pipeline file can name but no machine holds are errors at plan(), before anything is allocated, and
// never numbers that wrapped around: every input here once overflowed somewhere in planning (UBSan in
// fuzz_pipeline) or planned a wrapped byte count.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "graph_test_util.hpp"
#include "samples/sample_order.hpp"

using namespace feedgraph;

namespace {

/// The ConfigError plan() throws for `yaml`, or nullopt (with a failed check) when it throws none.
std::optional<ConfigError> plan_error(const std::string& yaml) {
  try {
    plan(parse_pipeline(yaml, "limits.yaml"));
  } catch (const ConfigError& e) {
    return e;
  }
  FAIL_CHECK("plan() accepted " << yaml);
  return std::nullopt;
}

}  // namespace

TEST_SUITE_BEGIN("graph");

TEST_CASE("a sample shape over 1 TiB is an error at the stage that makes it / before its product is taken") {
  const auto source = plan_error("dataset: {source: synthetic, sample: {shape: [4294967296, 4294967296]}}\n");
  REQUIRE(source);
  CHECK(source->key_path() == "dataset");
  CHECK(source->message() == "samples of 4294967296x4294967296 float32 are larger than 1 TiB");
  // 512 GiB of uint8 is a sample the engine takes; cast to float32 it is 2 TiB.
  const auto transform = plan_error(
      "dataset: {source: synthetic, sample: {shape: [549755813888], dtype: uint8}}\n"
      "transforms: [{cast: {dtype: float32}}]\n");
  REQUIRE(transform);
  CHECK(transform->key_path() == "transforms[0].cast");
  CHECK(transform->message() == "samples of 549755813888 float32 are larger than 1 TiB");
}

TEST_CASE("a dataset over 4 EiB is an error at the dataset: its cache's size wrapped to nothing") {
  const auto cached = plan_error(
      "dataset: {source: synthetic, samples: 4611686018427387904, sample: {shape: [1], dtype: float32}, cache: true}\n");
  REQUIRE(cached);
  CHECK(cached->key_path() == "dataset");
  CHECK(cached->message() == "4611686018427387904 samples of 1 float32 make a dataset larger than 4 EiB");
  const auto largest = plan_error("dataset: {source: synthetic, samples: 9223372036854775807, sample: {shape: [1], "
                                  "dtype: uint8}}\n");
  REQUIRE(largest);
  CHECK(largest->message() == "9223372036854775807 samples of 1 uint8 make a dataset larger than 4 EiB");
  // Under the bound, the cache's plan is what the samples hold.
  const auto spec = parse_pipeline(
      "dataset: {source: synthetic, samples: 1099511627776, sample: {shape: [1048576], dtype: uint8}, cache: true}\n",
      "limits.yaml");
  CHECK(plan(spec).memory.cache_bytes == std::uint64_t{1} << 60);
}

TEST_CASE("the sample order takes any dataset size up to 2^63 - 1 / shuffled / without shifting past 64 bits") {
  for (const std::int64_t n : {std::int64_t{1} << 62, (std::int64_t{1} << 62) + 1, INT64_MAX}) {
    CAPTURE(n);
    const detail::SampleOrder order(n, true, 7, ShardSpec{});
    CHECK(order.size() == n);
    for (const std::int64_t position : {std::int64_t{0}, std::int64_t{1}, n - 1}) {
      const std::int64_t id = order.at(0, position);
      CHECK(id >= 0);
      CHECK(id < n);
    }
    CHECK(order.at(0, 0) != order.at(0, 1));  // a permutation: two positions, two samples
  }
}

TEST_CASE("batch counts are taken without overflow: a batch_size near 2^63 / and more batches than 2^63") {
  // (samples + batch_size - 1) / batch_size overflowed. Without drop_last the memory plan refuses such a batch
  // size (see below); with it, no batch is whole.
  const auto none = plan_error("dataset: {source: synthetic, samples: 10, sample: {shape: [1]}}\n"
                               "batch_size: 9223372036854775807\ndrop_last: true\n");
  REQUIRE(none);
  CHECK(none->key_path() == "drop_last");
  // 2^40 batches an epoch for 2^31 - 1 epochs: more than a ticket counts.
  const auto many = plan_error("dataset: {source: synthetic, samples: 1099511627776, sample: {shape: [1], dtype: uint8}}\n"
                               "batch_size: 1\nepochs: 2147483647\n");
  REQUIRE(many);
  CHECK(many->key_path() == "epochs");
  CHECK(many->message() == "2147483647 epochs of 1099511627776 batches are more batches than a run can count (2^63)");
}

TEST_CASE("a memory plan past 2^64 bytes is an error naming what to lower / not a wrapped small number") {
  const std::string message =
      "memory: the graph's buffers would need more than 2^64 bytes: lower batch_size, prefetch, buffers.pinned or "
      "buffers.device";
  const std::vector<std::string> files{
      // 2^63 - 1 labels of 8 bytes in each device buffer: the labels' size wrapped.
      "dataset: {source: synthetic, samples: 10, sample: {shape: [1]}}\nbatch_size: 9223372036854775807\n",
      // 2^31 - 1 host buffers of 64 GiB batches.
      "dataset: {source: synthetic, samples: 16, sample: {shape: [1073741824]}}\nbatch_size: 16\n"
      "prefetch: 2147483647\n",
      // A 2^40-byte batch in 2^31 - 1 pinned slots.
      "dataset: {source: synthetic, samples: 1024, sample: {shape: [1073741824], dtype: uint8}}\nbatch_size: 1024\n"
      "buffers: {pinned: 2147483647}\n",
  };
  for (const std::string& file : files) {
    CAPTURE(file);
    try {
      plan(parse_pipeline(file, "memory.yaml"));
      FAIL_CHECK("plan() accepted it");
    } catch (const Error& e) {
      CHECK(std::string(e.what()) == message);
    }
  }
}

TEST_CASE("matmul sizes its scratch for a batch_size far past the samples without overflowing the product") {
  // 2^20 floats a sample times a batch_size of 2^50 overflowed int64 in make_matmul.
  const auto p = plan(parse_pipeline("dataset: {source: synthetic, samples: 10, sample: {shape: [1048576]}}\n"
                                     "batch_size: 1125899906842624\ncompute: {kernel: matmul}\n",
                                     "matmul.yaml"));
  CHECK(p.batch_bytes == 10 * 4194304ull);
  // Two device buffers (a batch, batch_size labels), and on the host the GEMM's 1024 x 1024 weights and its
  // 4 x 1024 rows of C, float32, as for any batch of at least 1024 floats.
  CHECK(p.memory.device_bytes == 2 * (p.batch_bytes + 8 * 1125899906842624ull) + (1024 + 4) * 1024 * 4);
}

TEST_SUITE_END();
