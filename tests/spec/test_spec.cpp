// Pipeline files: what a valid file parses to, and that every class of bad file is rejected with
// a ConfigError pointing at the exact line, column and key path of the problem.
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <unistd.h>

#include "feedgraph/errors.hpp"
#include "feedgraph/spec.hpp"
#include "spec_test_util.hpp"

using feedgraph::ConfigError;
using feedgraph::parse_pipeline;
using spec_test::pipeline_error;
using spec_test::Where;
using spec_test::where;

namespace {

// The sketch of a pipeline file from the design notes, verbatim.
constexpr const char* kSeed = R"(name: seed
device: auto                 # auto | cuda | cuda:N | host
batch_size: 256
epochs: 2
dataset:
  source: synthetic          # synthetic | records | npy | images
  samples: 2048
  sample: {shape: [3, 256, 256], dtype: float32}
  cost: {io_us: 0, cpu_us: 0}    # synthetic only: per-sample latency (sleep) and CPU work (spin)
transforms:
  - normalize: {mean: 0.5, std: 0.25}
concurrency: {read: 4, transform: 4, pin: 2}
prefetch: 4                  # batches in flight between read and compute
transfer: {pinned: true, non_blocking: true, copy_stream: true}
compute: {kernel: matmul, flops_per_batch: 4.78e11}   # checksum | spin | matmul
ordered: true
verify: true                 # device checksum of every batch equals the host's
memory_budget: 4GiB
)";

}  // namespace

TEST_SUITE("spec") {

TEST_CASE("the design's sketch parses to the values it states") {
  feedgraph::PipelineSpec spec = parse_pipeline(kSeed, "graphs/seed.yaml");
  CHECK(spec.name == "seed");
  CHECK(spec.origin == "graphs/seed.yaml");
  CHECK(spec.device.kind == feedgraph::DeviceSelection::Kind::automatic);
  CHECK(spec.batch_size == 256);
  CHECK(spec.epochs == 2);
  CHECK(spec.drop_last == false);
  CHECK(spec.dataset.name == "synthetic");
  REQUIRE(spec.transforms.size() == 1);
  CHECK(spec.transforms[0].name == "normalize");
  CHECK(spec.transforms[0].options.number("mean", 0.0) == 0.5);
  CHECK(spec.transforms[0].options.number("std", 1.0) == 0.25);
  CHECK(spec.concurrency.read == 4);
  CHECK(spec.concurrency.transform == 4);
  CHECK(spec.concurrency.pin == 2);
  CHECK(spec.prefetch == 4);
  CHECK(spec.transfer.pinned);
  CHECK(spec.transfer.non_blocking);
  CHECK(spec.transfer.copy_stream);
  CHECK(spec.compute.name == "matmul");
  CHECK(spec.compute.options.number("flops_per_batch", 0.0) == 4.78e11);
  CHECK(spec.ordered);
  CHECK(spec.verify);
  CHECK(spec.memory_budget == 4ull << 30);
  CHECK(spec.variant() == "concurrent");
}

TEST_CASE("a minimal file gets every default and its name from the file's stem") {
  feedgraph::PipelineSpec spec = parse_pipeline("dataset: {}\n", "graphs/tiny.yaml");
  const feedgraph::PipelineSpec defaults;
  CHECK(spec.name == "tiny");
  CHECK(spec.device.kind == feedgraph::DeviceSelection::Kind::automatic);
  CHECK(spec.batch_size == defaults.batch_size);
  CHECK(spec.epochs == defaults.epochs);
  CHECK(spec.dataset.name == "synthetic");
  CHECK(spec.transforms.empty());
  CHECK(spec.concurrency.read == defaults.concurrency.read);
  CHECK(spec.prefetch == defaults.prefetch);
  CHECK(spec.buffers.pinned == 0);
  CHECK(spec.compute.name == "checksum");
  CHECK(spec.memory_budget == 0);
  CHECK(spec.watchdog_s == defaults.watchdog_s);
  CHECK(parse_pipeline("dataset: {}\n", "<code>").name == "pipeline");
}

TEST_CASE("dataset and compute hand every key but the stage name to the stage with its file position") {
  feedgraph::PipelineSpec spec = parse_pipeline(R"(dataset:
  source: records
  path: data/x.rec
  sample: {shape: [3, 4], dtype: uint8}
compute:
  kernel: spin
  us: 20
)",
                                                "test.yaml");
  CHECK(spec.dataset.name == "records");
  const feedgraph::StageOptions& data = spec.dataset.options;
  CHECK(data.path() == "dataset");
  CHECK_FALSE(data.has("source"));
  CHECK(data.text("path", "") == "data/x.rec");
  CHECK(data.child("sample").integers("shape", {}) == std::vector<std::int64_t>{3, 4});
  CHECK(spec.compute.name == "spin");
  CHECK_FALSE(spec.compute.options.has("kernel"));
  CHECK(spec.compute.options.integer("us", 0) == 20);
  // The stage reads its options later; its errors still point into the file.
  ConfigError e = spec_test::config_error([&] { data.integer("path", 0); });
  CHECK(where(e) == Where{"test.yaml", 3, 9, "dataset.path"});
  // `sample.dtype` was never asked for.
  e = spec_test::config_error([&] { data.reject_unknown(); });
  CHECK(where(e) == Where{"test.yaml", 4, 27, "dataset.sample.dtype"});
}

TEST_CASE("a transform is a bare name or one key holding its options") {
  feedgraph::PipelineSpec spec = parse_pipeline(R"(dataset: {}
transforms:
  - flip
  - normalize: {mean: 0.5, std: 0.25}
  - crop:
)",
                                                "test.yaml");
  REQUIRE(spec.transforms.size() == 3);
  CHECK(spec.transforms[0].name == "flip");
  CHECK(spec.transforms[0].options.path() == "transforms[0].flip");
  CHECK_FALSE(spec.transforms[0].options.has("mean"));
  CHECK(spec.transforms[1].name == "normalize");
  CHECK(spec.transforms[1].options.path() == "transforms[1].normalize");
  CHECK(spec.transforms[1].options.number("std", 1.0) == 0.25);
  CHECK(spec.transforms[2].name == "crop");
  spec.transforms[2].options.reject_unknown();  // no options at all
  CHECK(parse_pipeline("dataset: {}\ntransforms: []\n", "t.yaml").transforms.empty());
}

TEST_CASE("a transform's options written at its name's indentation are caught") {
  ConfigError e = pipeline_error(R"(dataset: {}
transforms:
  - normalize:
    mean: 0.5
)");
  CHECK(where(e) == Where{"test.yaml", 4, 5, "transforms[0]"});
  CHECK(e.message() == "a transform is one key, its name, holding its options: should 'mean' be indented under "
                       "'normalize'?");
}

TEST_CASE("a transform whose options are not a mapping is an error at the options") {
  ConfigError e = pipeline_error("dataset: {}\ntransforms:\n  - normalize: 5\n");
  CHECK(where(e) == Where{"test.yaml", 3, 16, "transforms[0].normalize"});
  e = pipeline_error("dataset: {}\ntransforms: flip\n");
  CHECK(where(e) == Where{"test.yaml", 2, 13, "transforms"});
  e = pipeline_error("dataset: {}\ntransforms:\n  - [flip]\n");
  CHECK(where(e) == Where{"test.yaml", 3, 5, "transforms[0]"});
}

TEST_CASE("an unknown top-level key is an error at the key that lists the known ones") {
  ConfigError e = pipeline_error(R"(name: x
dataset: {}
batchsize: 4
)");
  CHECK(where(e) == Where{"test.yaml", 3, 1, "batchsize"});
  CHECK(e.message().starts_with("unknown key 'batchsize' (known: name, device, batch_size, epochs,"));
  CHECK(e.message().ends_with("; did you mean 'batch_size'?"));
  CHECK(std::string(e.what()).starts_with("test.yaml:3:1: batchsize: unknown key 'batchsize'"));
}

TEST_CASE("an unknown key in concurrency or transfer is an error at the key") {
  ConfigError e = pipeline_error(R"(dataset: {}
concurrency:
  read: 2
  raed: 4
)");
  CHECK(where(e) == Where{"test.yaml", 4, 3, "concurrency.raed"});
  CHECK(e.message() == "unknown key 'raed' (known: read, transform, pin); did you mean 'read'?");

  e = pipeline_error("dataset: {}\ntransfer: {pinned: true, pinnned: false}\n");
  CHECK(where(e) == Where{"test.yaml", 2, 26, "transfer.pinnned"});
  CHECK(e.message() == "unknown key 'pinnned' (known: pinned, direct, non_blocking, copy_stream); did you mean 'pinned'?");

  e = pipeline_error("dataset: {}\nbuffers: {host: 2}\n");
  CHECK(where(e) == Where{"test.yaml", 2, 11, "buffers.host"});
  CHECK(e.message() == "unknown key 'host' (known: pinned, device)");
}

TEST_CASE("an unknown key is reported before a bad value elsewhere") {
  ConfigError e = pipeline_error("dataset: {}\nbatch_size: abc\nprefetch_: 2\n");
  CHECK(where(e) == Where{"test.yaml", 3, 1, "prefetch_"});
}

TEST_CASE("a duplicate key is an error at its second occurrence that names the first") {
  SUBCASE("top level") {
    ConfigError e = pipeline_error("dataset: {}\nepochs: 2\nepochs: 3\n");
    CHECK(where(e) == Where{"test.yaml", 3, 1, "epochs"});
    CHECK(e.message() == "duplicate key 'epochs' (first at line 2)");
  }
  SUBCASE("nested block") {
    ConfigError e = pipeline_error(R"(dataset: {}
concurrency:
  read: 2
  pin: 1
  read: 4
)");
    CHECK(where(e) == Where{"test.yaml", 5, 3, "concurrency.read"});
    CHECK(e.message() == "duplicate key 'read' (first at line 3)");
  }
  SUBCASE("flow mapping") {
    ConfigError e = pipeline_error("dataset: {}\nconcurrency: {read: 2, read: 4}\n");
    CHECK(where(e) == Where{"test.yaml", 2, 24, "concurrency.read"});
  }
  SUBCASE("inside the options of a stage that the schema hands over unread") {
    ConfigError e = pipeline_error("dataset:\n  samples: 4\n  cost: {io_us: 1, io_us: 2}\n");
    CHECK(where(e) == Where{"test.yaml", 3, 20, "dataset.cost.io_us"});
  }
  SUBCASE("inside a transform in a sequence") {
    ConfigError e = pipeline_error("dataset: {}\ntransforms:\n  - normalize: {std: 1, std: 2}\n");
    CHECK(where(e) == Where{"test.yaml", 3, 25, "transforms[0].normalize.std"});
  }
}

TEST_CASE("a value of the wrong type is an error at the value") {
  struct Case {
    const char* line2;
    int column;
    const char* key_path;
    const char* message;
  };
  const Case cases[] = {
      {"batch_size: abc", 13, "batch_size", "expected an integer, got 'abc'"},
      {"epochs: 2.5", 9, "epochs", "expected an integer, got '2.5'"},
      {"epochs: \"2\"", 9, "epochs", "expected an integer, got the string \"2\""},
      {"ordered: maybe", 10, "ordered", "expected true or false, got 'maybe'"},
      {"verify: yes", 9, "verify", "expected true or false, got 'yes'"},
      {"drop_last: [true]", 12, "drop_last", "expected true or false, got a sequence"},
      {"watchdog_s: soon", 13, "watchdog_s", "expected a number, got 'soon'"},
      {"name: {a: 1}", 7, "name", "expected a string, got a mapping"},
      {"concurrency: 4", 14, "concurrency", "expected a mapping, got '4'"},
      {"transfer: {pinned: 1}", 20, "transfer.pinned", "expected true or false, got '1'"},
      {"device: gpu", 9, "device", "unknown device 'gpu': expected auto, cuda, cuda:N or host"},
      {"memory_budget: 4XB", 16, "memory_budget",
       "invalid byte size '4XB': unknown unit 'XB' (use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB)"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.line2);
    ConfigError e = pipeline_error(std::string("dataset: {}\n") + c.line2 + "\n");
    CHECK(where(e) == Where{"test.yaml", 2, c.column, c.key_path});
    CHECK(e.message() == c.message);
  }
}

TEST_CASE("an empty value is an error at its key and not at the next line") {
  ConfigError e = pipeline_error("dataset: {}\nbatch_size:\nepochs: 2\n");
  CHECK(where(e) == Where{"test.yaml", 2, 1, "batch_size"});
  CHECK(e.message() == "expected an integer, got nothing");
}

TEST_CASE("an out-of-range value is an error at the value") {
  struct Case {
    const char* line2;
    int column;
    const char* key_path;
    const char* message;
  };
  const Case cases[] = {
      {"concurrency: {read: 0}", 21, "concurrency.read", "must be >= 1 (got 0)"},
      {"prefetch: 0", 11, "prefetch", "must be >= 1 (got 0)"},
      {"batch_size: -5", 13, "batch_size", "must be >= 1 (got -5)"},
      {"buffers: {device: 0}", 19, "buffers.device", "must be >= 1 (got 0)"},
      {"epochs: 3000000000", 9, "epochs", "must be <= 2147483647 (got 3000000000)"},
      {"watchdog_s: 0", 13, "watchdog_s", "must be > 0 (got 0)"},
      {"memory_budget: -1", 16, "memory_budget",
       "invalid byte size '-1': expected a count with an optional unit, e.g. 4GiB, 512 MiB, 2.5GB or 1048576"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.line2);
    ConfigError e = pipeline_error(std::string("dataset: {}\n") + c.line2 + "\n");
    CHECK(where(e) == Where{"test.yaml", 2, c.column, c.key_path});
    CHECK(e.message() == c.message);
  }
}

TEST_CASE("memory_budget takes a byte size string or a plain integer") {
  CHECK(parse_pipeline("dataset: {}\nmemory_budget: 1048576\n", "t.yaml").memory_budget == 1048576);
  CHECK(parse_pipeline("dataset: {}\nmemory_budget: 512 MiB\n", "t.yaml").memory_budget == 512ull << 20);
  CHECK(parse_pipeline("dataset: {}\nmemory_budget: \"2.5GB\"\n", "t.yaml").memory_budget == 2'500'000'000ull);
  CHECK(parse_pipeline("dataset: {}\nmemory_budget: 0\n", "t.yaml").memory_budget == 0);
}

TEST_CASE("a YAML syntax error carries yaml-cpp's position and message") {
  ConfigError e = pipeline_error("dataset: {}\nconcurrency: {read: 2\nprefetch: 1\n");
  CHECK(e.file() == "test.yaml");
  CHECK(e.line() == 3);
  CHECK(e.column() == 9);
  CHECK(e.key_path().empty());
  CHECK(e.message() == "end of map flow not found");

  e = pipeline_error("dataset: {}\nname: a: b\n");
  CHECK(where(e) == Where{"test.yaml", 2, 8, ""});
  CHECK(e.message() == "illegal map value");
  CHECK(std::string(e.what()) == "test.yaml:2:8: illegal map value");
}

TEST_CASE("a token no YAML value starts with is a syntax error at it / not a parser that never returns") {
  // yaml-cpp 0.7's LoadAll loops forever, allocating, on these (found by fuzz_pipeline: jbeder/yaml-cpp#1040).
  struct Case {
    const char* text;
    Where where;
    const char* message;
  };
  const Case cases[] = {
      {",", {"test.yaml", 1, 1, ""}, "unexpected ',': no YAML value starts with it"},
      {", {dataset: {}}\n", {"test.yaml", 1, 1, ""}, "unexpected ',': no YAML value starts with it"},
      {"- dataset\n,\n", {"test.yaml", 2, 1, ""}, "unexpected ',': no YAML value starts with it"},
      // Past the first document the file is wrong anyway, and says so.
      {"dataset: {}\n---\n,\n", {"test.yaml", 3, 1, ""},
       "a pipeline file holds one YAML document; a second one starts here"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    ConfigError e = pipeline_error(c.text);
    CHECK(where(e) == c.where);
    CHECK(e.message() == c.message);
  }
}

TEST_CASE("a file that is not a pipeline at all is an error about the whole file") {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"", "empty pipeline file"},
      {"# nothing here\n# still nothing\n", "empty pipeline file"},
      {"hello world\n", "not a pipeline: the top level must be a mapping of keys, not plain text"},
      {"- dataset\n- compute\n", "not a pipeline: the top level must be a mapping of keys, not a sequence"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    ConfigError e = pipeline_error(c.text);
    CHECK(where(e) == Where{"test.yaml", 0, 0, ""});
    CHECK(e.message() == c.message);
    CHECK(std::string(e.what()) == std::string("test.yaml: ") + c.message);
  }
}

TEST_CASE("a second YAML document in the file is an error where it starts") {
  ConfigError e = pipeline_error("dataset: {}\n---\nepochs: 2\n");
  CHECK(e.line() == 3);
  CHECK(e.message() == "a pipeline file holds one YAML document; a second one starts here");
}

TEST_CASE("a file without a dataset is an error naming the missing key without a position") {
  ConfigError e = pipeline_error("name: x\nepochs: 2\n");
  CHECK(where(e) == Where{"test.yaml", 0, 0, "dataset"});
  CHECK(std::string(e.what()).starts_with("test.yaml: dataset: missing"));
}

TEST_CASE("load_pipeline reads a file and names it in errors") {
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("feedgraph_spec_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::filesystem::path file = dir / "fromdisk.yaml";
  std::ofstream(file) << "dataset: {samples: 8}\nprefetch: 2\nepochs: zero\n";

  ConfigError e = spec_test::config_error([&] { feedgraph::load_pipeline(file.string()); });
  CHECK(where(e) == Where{file.string(), 3, 9, "epochs"});

  feedgraph::PipelineSpec spec = feedgraph::load_pipeline(file.string(), {"epochs=3"});
  CHECK(spec.name == "fromdisk");
  CHECK(spec.origin == file.string());
  CHECK(spec.epochs == 3);
  CHECK(spec.prefetch == 2);

  e = spec_test::config_error([&] { feedgraph::load_pipeline(dir.string()); });
  CHECK(where(e) == Where{dir.string(), 0, 0, ""});
  CHECK(e.message() == "cannot read: Is a directory");
  std::filesystem::remove_all(dir);
}

TEST_CASE("a missing file is an error naming the file and the reason") {
  ConfigError e = spec_test::config_error([] { feedgraph::load_pipeline("/nonexistent/feedgraph/x.yaml"); });
  CHECK(where(e) == Where{"/nonexistent/feedgraph/x.yaml", 0, 0, ""});
  CHECK(e.message() == "cannot read: No such file or directory");
  CHECK(std::string(e.what()) == "/nonexistent/feedgraph/x.yaml: cannot read: No such file or directory");
}

}  // TEST_SUITE("spec")

TEST_CASE("a file whose aliases expand past any pipeline's size is refused at once / naming why" * doctest::test_suite("spec")) {
  // Nine levels of nine aliases: 9^9 values once expanded, a few hundred bytes as text.
  std::string text = "name: bomb\ndataset: {source: synthetic, samples: 8}\nx0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1]\n";
  for (int level = 1; level <= 9; ++level) {
    std::ostringstream line;
    line << 'x' << level << ": &a" << level << " [*a" << level - 1;
    for (int i = 1; i < 9; ++i) line << ", *a" << level - 1;
    line << "]\n";
    text += line.str();
  }
  CHECK_THROWS_WITH_AS(parse_pipeline(text, "bomb.yaml"),
                       "bomb.yaml: the file expands to more than 10000 YAML values (aliases within aliases?); a "
                       "pipeline is a few hundred",
                       ConfigError);
  // An alias or two, as people use them, is fine.
  const auto spec = parse_pipeline("name: ok\nbatch_size: &b 8\nprefetch: *b\ndataset: {source: synthetic, samples: 16}\n",
                                   "ok.yaml");
  CHECK(spec.prefetch == 8);
}
