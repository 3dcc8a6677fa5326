// Sizes a pipeline file can name but no machine holds are errors at plan(), before anything is allocated, and
// never numbers that wrapped around: every input here once overflowed somewhere in planning (UBSan in
// fuzz_pipeline) or planned a wrapped byte count.
#include <optional>
#include <string>

#include "graph_test_util.hpp"

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

TEST_CASE("a sample shape over 1 TiB is an error at the stage that makes it, before its product is taken") {
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
