// tune --write: the tuned keys are edited in the file's own text, which keeps its comments and
// layout; keys the file lacks are added; what cannot be edited in place is written out whole.
#include <doctest/doctest.h>

#include <string>

#include "feedgraph/errors.hpp"
#include "feedgraph/tools/tune.hpp"

using namespace feedgraph;

namespace {

const std::vector<std::string> kAllKeys{"concurrency.read", "concurrency.transform", "concurrency.pin", "prefetch"};
const std::string kHead = "name: t\ndevice: host\ndataset: {source: synthetic, samples: 64}\n";

}  // namespace

TEST_SUITE("tune") {

TEST_CASE("tuned_yaml: a flow block's values change in place / comments and spacing stay") {
  const std::string in = kHead + "concurrency: {read: 4, transform: 4, pin: 2}   # by hand\nprefetch: 4 # buffers\n";
  const std::string out = tuned_yaml(in, "t.yaml", {8, 1, 3, 12}, kAllKeys, "# tuned");
  CHECK(out == "# tuned\n" + kHead + "concurrency: {read: 8, transform: 1, pin: 3}   # by hand\nprefetch: 12 # buffers\n");
}

TEST_CASE("tuned_yaml: a block mapping / `auto` and quoted values are replaced") {
  const std::string in = kHead + "concurrency:\n  read: auto\n  transform: '4'\n  pin: \"2\"\nprefetch: auto\n";
  const std::string out = tuned_yaml(in, "t.yaml", {3, 2, 1, 5}, kAllKeys, "");
  CHECK(out == kHead + "concurrency:\n  read: 3\n  transform: 2\n  pin: 1\nprefetch: 5\n");
}

TEST_CASE("tuned_yaml: keys the file lacks are added where they belong") {
  SUBCASE("inside a flow block") {
    const std::string in = kHead + "concurrency: {read: 4}\n";
    CHECK(tuned_yaml(in, "t.yaml", {2, 3, 1, 6}, kAllKeys, "") ==
          kHead + "concurrency: {read: 2, transform: 3, pin: 1}\nprefetch: 6\n");
  }
  SUBCASE("under a block mapping, at its indentation") {
    const std::string in = kHead + "concurrency:\n    read: 4  # r\nordered: true\n";
    CHECK(tuned_yaml(in, "t.yaml", {2, 3, 1, 6}, kAllKeys, "") ==
          kHead + "concurrency:\n    read: 2  # r\n    transform: 3\n    pin: 1\nordered: true\nprefetch: 6\n");
  }
  SUBCASE("a whole block, at the end of a file without a final newline") {
    const std::string in = kHead + "ordered: true";
    CHECK(tuned_yaml(in, "t.yaml", {2, 3, 1, 6}, {"concurrency.read", "prefetch"}, "") ==
          kHead + "ordered: true\nconcurrency: {read: 2}\nprefetch: 6\n");
  }
}

TEST_CASE("tuned_yaml: only the keys given change") {
  const std::string in = kHead + "concurrency: {read: 4, transform: 4, pin: 2}\nprefetch: 4\n";
  CHECK(tuned_yaml(in, "t.yaml", {8, 8, 8, 8}, {"prefetch"}, "") ==
        kHead + "concurrency: {read: 4, transform: 4, pin: 2}\nprefetch: 8\n");
}

TEST_CASE("tuned_yaml: a flow-style top level is written out again / and says so") {
  const std::string in = "{name: t, device: host, dataset: {source: synthetic}, prefetch: 4}  # a comment\n";
  const std::string out = tuned_yaml(in, "t.yaml", {2, 1, 1, 6}, {"concurrency.read", "prefetch"}, "# tuned");
  CHECK(out.starts_with("# tuned\n# (written out again by yaml-cpp: the file's comments were not kept)\n"));
  const auto spec = parse_pipeline(out, "out.yaml");
  CHECK(spec.prefetch == 6);
  CHECK(spec.concurrency.read == 2);
  CHECK(spec.name == "t");
}

TEST_CASE("tuned_yaml: not a pipeline file is a ConfigError naming it") {
  CHECK_THROWS_WITH_AS(tuned_yaml("- a\n- b\n", "list.yaml", {}, kAllKeys, ""), doctest::Contains("list.yaml"),
                       ConfigError);
}

}  // TEST_SUITE
