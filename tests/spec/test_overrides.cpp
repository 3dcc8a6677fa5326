// `--set key.path=value` overrides: applied to the tree before validation, so they can set, create
// and replace anything the file could say, and an error in what they set names the override, not the file.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "feedgraph/errors.hpp"
#include "feedgraph/spec.hpp"
#include "spec_test_util.hpp"

using feedgraph::ConfigError;
using feedgraph::PipelineSpec;
using spec_test::pipeline_error;
using spec_test::Where;
using spec_test::where;

namespace {

constexpr const char* kBase = R"(dataset: {samples: 64}
batch_size: 8
transforms:
  - normalize: {mean: 0.5, std: 0.25}
concurrency: {read: 4, transform: 4, pin: 2}
)";

PipelineSpec with(const std::vector<std::string>& overrides, const char* yaml = kBase) {
  return feedgraph::parse_pipeline(yaml, "test.yaml", overrides);
}

}  // namespace

TEST_SUITE("spec") {

TEST_CASE("an override sets an existing key to its value parsed as YAML") {
  CHECK(with({"concurrency.read=8"}).concurrency.read == 8);
  CHECK(with({"batch_size=32"}).batch_size == 32);
  CHECK(with({"transfer.pinned=false"}).transfer.pinned == false);
  CHECK(with({"memory_budget=4GiB"}).memory_budget == 4ull << 30);
  CHECK(with({"device=cuda:1"}).device.index == 1);
  CHECK(with({"concurrency={read: 1, pin: 1}"}).concurrency.transform == 4);  // a whole block, replaced
  CHECK(with({"concurrency.read = 8"}).concurrency.read == 8);                // spaces around '='
}

TEST_CASE("overrides apply in order and the later one wins") {
  CHECK(with({"prefetch=2", "prefetch=3"}).prefetch == 3);
  CHECK(with({"concurrency.read=2", "concurrency={pin: 1}"}).concurrency.read == 4);  // the block was replaced
}

TEST_CASE("an override creates missing keys and blocks") {
  PipelineSpec spec = with({"compute.flops_per_batch=1e9", "buffers.pinned=3", "compute.kernel=matmul"});
  CHECK(spec.compute.name == "matmul");
  CHECK(spec.compute.options.number("flops_per_batch", 0.0) == 1e9);
  CHECK(spec.buffers.pinned == 3);
  // An empty block (`compute:` and nothing) becomes a mapping too.
  spec = with({"compute.kernel=spin"}, "dataset: {}\ncompute:\n");
  CHECK(spec.compute.name == "spin");
  CHECK(with({"dataset.source=records"}).dataset.name == "records");
}

TEST_CASE("an override indexes a sequence written .N or [N]") {
  PipelineSpec spec = with({"transforms.0.normalize.mean=0.1", "transforms[0].normalize.std=2"});
  REQUIRE(spec.transforms.size() == 1);
  CHECK(spec.transforms[0].options.number("mean", 0.0) == 0.1);
  CHECK(spec.transforms[0].options.number("std", 0.0) == 2.0);
  CHECK(with({"transforms=[]"}).transforms.empty());
  spec = with({"transforms=[flip, {normalize: {std: 3}}]"});
  REQUIRE(spec.transforms.size() == 2);
  CHECK(spec.transforms[0].name == "flip");
  CHECK(spec.transforms[1].options.number("std", 0.0) == 3.0);
}

TEST_CASE("a malformed override is an error from --set quoting the override") {
  struct Case {
    const char* text;
    const char* key_path;
    const char* message_part;
  };
  const Case cases[] = {
      {"noequals", "", "'noequals': expected key.path=value"},
      {"=5", "", "'=5': expected key.path=value"},
      {"concurrency..read=1", "", "expected key.path=value"},
      {"transforms[x].flip=1", "", "expected key.path=value"},
      {"transforms[0=1", "", "expected key.path=value"},
      {"batch_size.x=1", "batch_size", "cannot set 'x' inside batch_size: it is '8', not a mapping"},
      {"transforms.3.flip=1", "transforms", "index 3 is out of range: transforms has 1 entries"},
      {"concurrency[0]=1", "concurrency", "cannot index concurrency: it is a mapping, not a sequence"},
      {"concurrency={read: ", "", "the value is not valid YAML"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    ConfigError e = pipeline_error(kBase, {c.text});
    CHECK(where(e) == Where{"--set", 0, 0, c.key_path});
    CHECK(e.message().find(c.message_part) != std::string::npos);
  }
}

TEST_CASE("a value set by an override that fails validation names the override") {
  ConfigError e = pipeline_error(kBase, {"concurrency.read=0"});
  CHECK(where(e) == Where{"--set concurrency.read=0", 0, 0, "concurrency.read"});
  CHECK(std::string(e.what()) == "--set concurrency.read=0: concurrency.read: must be >= 1 (got 0)");

  e = pipeline_error(kBase, {"concurrency.raed=4"});
  CHECK(where(e) == Where{"--set concurrency.raed=4", 0, 0, "concurrency.raed"});

  // The override that last wrote the value answers for it.
  e = pipeline_error(kBase, {"concurrency.read=2", "concurrency={read: 0}"});
  CHECK(where(e) == Where{"--set concurrency={read: 0}", 0, 0, "concurrency.read"});

  e = pipeline_error(kBase, {"concurrency={read: 1, read: 2}"});
  CHECK(where(e) == Where{"--set concurrency={read: 1, read: 2}", 0, 0, "concurrency.read"});
  CHECK(e.message() == "duplicate key 'read'");
}

TEST_CASE("a block an override created answers to that override") {
  ConfigError e = pipeline_error("dataset: {}\n", {"transforms.0.flip=1"});
  CHECK(where(e) == Where{"--set transforms.0.flip=1", 0, 0, "transforms"});
  CHECK(e.message().starts_with("expected a sequence of transforms"));

  PipelineSpec spec = with({"compute.kernel=spin"}, "dataset: {}\n");
  e = spec_test::config_error([&] { spec.compute.options.fail("us", "required"); });
  CHECK(where(e) == Where{"--set compute.kernel=spin", 0, 0, "compute.us"});
}

TEST_CASE("an override does not take the blame for the file's own errors") {
  ConfigError e = pipeline_error("dataset: {}\nconcurrency: {read: 0}\n", {"concurrency.pin=2"});
  CHECK(where(e) == Where{"test.yaml", 2, 21, "concurrency.read"});
}

TEST_CASE("a stage option set by an override names the override when the stage rejects it") {
  PipelineSpec spec = with({"compute={kernel: spin, us: -1}"});
  ConfigError e = spec_test::config_error([&] { spec.compute.options.integer("us", 0, {.min = 0}); });
  CHECK(where(e) == Where{"--set compute={kernel: spin, us: -1}", 0, 0, "compute.us"});

  spec = with({"transforms.0.normalize.std=0"});
  e = spec_test::config_error([&] { spec.transforms[0].options.number("std", 1.0, {.greater_than = 0.0}); });
  CHECK(where(e) == Where{"--set transforms.0.normalize.std=0", 0, 0, "transforms[0].normalize.std"});
  // Its sibling still comes from the file.
  e = spec_test::config_error([&] { spec.transforms[0].options.integer("mean", 0); });
  CHECK(where(e) == Where{"test.yaml", 4, 23, "transforms[0].normalize.mean"});
}

}  // TEST_SUITE("spec")
