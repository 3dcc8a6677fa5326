// The small value types of the spec: byte sizes, device selection, sample layouts, error messages, and what a
// PipelineSpec derives (pool sizes, variant, serial twin).
#include <doctest/doctest.h>

#include <cstdint>
#include <string>

#include "feedgraph/errors.hpp"
#include "feedgraph/layout.hpp"
#include "feedgraph/spec.hpp"

using feedgraph::DeviceSelection;
using feedgraph::PipelineSpec;

TEST_SUITE("spec") {

TEST_CASE("parse_byte_size reads decimal and binary units and plain counts") {
  struct Case {
    const char* text;
    std::uint64_t bytes;
  };
  const Case cases[] = {
      {"4GiB", 4ull << 30},         {"512 MiB", 512ull << 20},      {"512MiB", 512ull << 20},
      {"1048576", 1048576},         {"2.5GB", 2'500'000'000ull},    {"1.5GiB", 1610612736},
      {"0", 0},                     {"7B", 7},                      {"3 KB", 3000},
      {"3kB", 3000},                {"3KiB", 3072},                 {"2MB", 2'000'000},
      {"1TB", 1'000'000'000'000},   {"1TiB", 1ull << 40},           {"  8 GiB ", 8ull << 30},
      {"2.0", 2},                   {"18446744073709551615", 18446744073709551615ull},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    CHECK(feedgraph::parse_byte_size(c.text) == c.bytes);
  }
}

TEST_CASE("parse_byte_size rejects anything else with an Error naming the text") {
  const char* const bad[] = {"4XB", "-1", "", "GiB", "1.5", "1e9", "4 G", "1.GiB", ".5GiB", "4 GiB GiB",
                             "18446744073709551616", "20000000TiB", "4gib", "+4GiB"};
  for (const char* text : bad) {
    CAPTURE(text);
    try {
      feedgraph::parse_byte_size(text);
      FAIL("accepted");
    } catch (const feedgraph::Error& e) {
      CHECK(std::string(e.what()).starts_with(std::string("invalid byte size '") + text + "'"));
    }
  }
}

TEST_CASE("format_bytes prints binary units with two decimals") {
  CHECK(feedgraph::format_bytes(0) == "0 B");
  CHECK(feedgraph::format_bytes(512) == "512 B");
  CHECK(feedgraph::format_bytes(1024) == "1.00 KiB");
  CHECK(feedgraph::format_bytes(1610612736) == "1.50 GiB");
  CHECK(feedgraph::format_bytes(4ull << 30) == "4.00 GiB");
  CHECK(feedgraph::format_bytes(603979776) == "576.00 MiB");
  CHECK(feedgraph::format_bytes(3ull << 40) == "3.00 TiB");
}

TEST_CASE("parse_device reads auto host cuda and cuda:N and text() writes them back") {
  CHECK(feedgraph::parse_device("auto").kind == DeviceSelection::Kind::automatic);
  CHECK(feedgraph::parse_device("host").kind == DeviceSelection::Kind::host);
  DeviceSelection cuda = feedgraph::parse_device("cuda");
  CHECK(cuda.kind == DeviceSelection::Kind::cuda);
  CHECK(cuda.index == 0);
  DeviceSelection third = feedgraph::parse_device("cuda:3");
  CHECK(third.kind == DeviceSelection::Kind::cuda);
  CHECK(third.index == 3);
  CHECK(feedgraph::parse_device("auto").text() == "auto");
  CHECK(feedgraph::parse_device("host").text() == "host");
  CHECK(cuda.text() == "cuda:0");
  CHECK(third.text() == "cuda:3");
  CHECK(feedgraph::parse_device(third.text()).index == 3);
  CHECK(DeviceSelection{}.text() == "auto");
}

TEST_CASE("parse_device rejects anything else") {
  for (const char* text : {"gpu", "cuda:", "cuda:-1", "cuda:x", "cuda:1x", "CUDA", "", "cpu", "cuda0"}) {
    CAPTURE(text);
    CHECK_THROWS_WITH_AS(feedgraph::parse_device(text),
                         (std::string("unknown device '") + text + "': expected auto, cuda, cuda:N or host").c_str(),
                         feedgraph::Error);
  }
}

TEST_CASE("pinned_slots and device_buffers are set or derived") {
  PipelineSpec spec;
  spec.concurrency.pin = 3;
  CHECK(spec.pinned_slots() == 4);  // every pin worker filling one, one being copied
  spec.buffers.pinned = 6;
  CHECK(spec.pinned_slots() == 6);
  spec.transfer.pinned = false;
  CHECK(spec.pinned_slots() == 0);  // no staging at all
  CHECK(spec.device_buffers() == 2);
  spec.buffers.device = 5;
  CHECK(spec.device_buffers() == 5);
}

TEST_CASE("decode_jpeg on the device derives a device buffer per lane and two more") {
  auto parse = [](const std::string& decode) {
    return feedgraph::parse_pipeline("name: d\ndevice: host\nbatch_size: 4\nepochs: 1\n"
                                     "dataset: {source: images, path: data/none}\n"
                                     "device_transforms: [" + decode + ", {center_crop: {size: 8}}]\n"
                                     "compute: {kernel: checksum}\n",
                                     "d.yaml");
  };
  CHECK(parse("decode_jpeg").device_buffers() == 5);  // three lanes by default
  CHECK(parse("{decode_jpeg: {lanes: 1}}").device_buffers() == 3);
  CHECK(parse("{decode_jpeg: {lanes: 6}}").device_buffers() == 8);
  // A value the assembly refuses derives as the default does; the file's own count always wins.
  CHECK(parse("{decode_jpeg: {lanes: 99}}").device_buffers() == 5);
  PipelineSpec set = parse("{decode_jpeg: {lanes: 4}}");
  set.buffers.device = 2;
  CHECK(set.device_buffers() == 2);
  // The serial twin keeps its one buffer.
  CHECK(feedgraph::serial_twin(parse("decode_jpeg")).device_buffers() == 1);
}

TEST_CASE("the serial twin runs everything serially with the switches off and changes nothing else") {
  PipelineSpec spec = feedgraph::parse_pipeline(R"(name: seed
device: host
batch_size: 64
epochs: 3
drop_last: true
dataset: {source: synthetic, samples: 100}
transforms: [flip]
concurrency: {read: 4, transform: 3, pin: 2}
prefetch: 6
buffers: {pinned: 5, device: 3}
compute: {kernel: spin, us: 10}
ordered: false
verify: false
memory_budget: 1GiB
watchdog_s: 5
)",
                                                "graphs/seed.yaml");
  CHECK(spec.variant() == "concurrent");
  PipelineSpec twin = feedgraph::serial_twin(spec);
  CHECK(twin.variant() == "serial");
  CHECK(twin.concurrency.read == 1);
  CHECK(twin.concurrency.transform == 1);
  CHECK(twin.concurrency.pin == 1);
  CHECK(twin.prefetch == 1);
  CHECK(twin.buffers.pinned == 1);
  CHECK(twin.buffers.device == 1);
  CHECK_FALSE(twin.transfer.pinned);
  CHECK_FALSE(twin.transfer.non_blocking);
  CHECK_FALSE(twin.transfer.copy_stream);
  CHECK(twin.pinned_slots() == 0);
  CHECK(twin.device_buffers() == 1);
  // Unchanged:
  CHECK(twin.name == "seed");
  CHECK(twin.origin == "graphs/seed.yaml");
  CHECK(twin.device.kind == DeviceSelection::Kind::host);
  CHECK(twin.batch_size == 64);
  CHECK(twin.epochs == 3);
  CHECK(twin.drop_last);
  CHECK(twin.dataset.name == "synthetic");
  CHECK(twin.dataset.options.same_block(spec.dataset.options));  // shared, not copied
  REQUIRE(twin.transforms.size() == 1);
  CHECK(twin.transforms[0].name == "flip");
  CHECK(twin.compute.name == "spin");
  CHECK(twin.compute.options.same_block(spec.compute.options));
  CHECK_FALSE(twin.ordered);
  CHECK_FALSE(twin.verify);
  CHECK(twin.memory_budget == 1ull << 30);
  CHECK(twin.watchdog_s == 5.0);
}

TEST_CASE("the twin of a twin is the twin") {
  PipelineSpec twin = feedgraph::serial_twin(PipelineSpec{});
  PipelineSpec again = feedgraph::serial_twin(twin);
  CHECK(again.variant() == "serial");
  CHECK(again.concurrency.read == twin.concurrency.read);
  CHECK(again.concurrency.transform == twin.concurrency.transform);
  CHECK(again.concurrency.pin == twin.concurrency.pin);
  CHECK(again.prefetch == twin.prefetch);
  CHECK(again.buffers.pinned == twin.buffers.pinned);
  CHECK(again.buffers.device == twin.buffers.device);
  CHECK(again.transfer.pinned == twin.transfer.pinned);
  CHECK(again.transfer.non_blocking == twin.transfer.non_blocking);
  CHECK(again.transfer.copy_stream == twin.transfer.copy_stream);
}

TEST_CASE("variant is serial only when every concurrency and the prefetch are 1 and all three switches are off") {
  PipelineSpec spec = feedgraph::serial_twin(PipelineSpec{});
  REQUIRE(spec.variant() == "serial");
  SUBCASE("one concurrency above 1") { spec.concurrency.transform = 2; }
  SUBCASE("prefetch above 1") { spec.prefetch = 2; }
  SUBCASE("pinned on") { spec.transfer.pinned = true; }
  SUBCASE("non_blocking on") { spec.transfer.non_blocking = true; }
  SUBCASE("copy_stream on") { spec.transfer.copy_stream = true; }
  CHECK(spec.variant() == "concurrent");
}

TEST_CASE("dtypes have sizes and names that parse back") {
  using feedgraph::DType;
  for (DType t : {DType::u8, DType::i32, DType::f16, DType::f32}) {
    CHECK(feedgraph::parse_dtype(feedgraph::dtype_name(t)) == t);
  }
  CHECK(feedgraph::dtype_size(DType::u8) == 1);
  CHECK(feedgraph::dtype_size(DType::i32) == 4);
  CHECK(feedgraph::dtype_size(DType::f16) == 2);
  CHECK(feedgraph::dtype_size(DType::f32) == 4);
  CHECK(feedgraph::dtype_name(DType::f16) == "float16");
  CHECK_FALSE(feedgraph::parse_dtype("float64").has_value());
  CHECK_FALSE(feedgraph::parse_dtype("f32").has_value());
}

TEST_CASE("a sample layout counts its elements and bytes and describes itself") {
  feedgraph::SampleLayout layout{{3, 256, 256}, feedgraph::DType::f32};
  CHECK(layout.elements() == 196608);
  CHECK(layout.bytes() == 786432);
  CHECK(layout.describe() == "3x256x256 float32");
  CHECK(feedgraph::SampleLayout{{16}, feedgraph::DType::u8}.describe() == "16 uint8");
}

TEST_CASE("error messages name the file / line / column and key") {
  CHECK(std::string(feedgraph::ConfigError("f.yaml", 3, 7, "a.b", "bad").what()) == "f.yaml:3:7: a.b: bad");
  CHECK(std::string(feedgraph::ConfigError("f.yaml", 0, 0, "a.b", "bad").what()) == "f.yaml: a.b: bad");
  CHECK(std::string(feedgraph::ConfigError("f.yaml", "cannot read").what()) == "f.yaml: cannot read");
  feedgraph::StageError stage("transform", 3, 17, "boom");
  CHECK(std::string(stage.what()) == "node 'transform' failed on batch 3 (sample 17): boom");
  CHECK(stage.node() == "transform");
  CHECK(stage.batch() == 3);
  CHECK(stage.sample() == 17);
  CHECK(stage.message() == "boom");
  CHECK(std::string(feedgraph::StageError("read", 3, -1, "boom").what()) == "node 'read' failed on batch 3: boom");
  feedgraph::CudaError cuda("cudaMemcpyAsync", 1, "cudaErrorInvalidValue", "invalid argument");
  CHECK(std::string(cuda.what()) == "cudaMemcpyAsync failed: cudaErrorInvalidValue (1): invalid argument");
  CHECK(cuda.code() == 1);
  CHECK(cuda.name() == "cudaErrorInvalidValue");
  const feedgraph::Error& base = cuda;  // one hierarchy: catch feedgraph::Error, print what()
  CHECK(std::string(base.what()).starts_with("cudaMemcpyAsync"));
}

}  // TEST_SUITE("spec")

TEST_CASE("threads is auto by default and takes a count or auto" * doctest::test_suite("spec")) {
  using feedgraph::parse_pipeline;
  using feedgraph::ConfigError;
  CHECK(parse_pipeline("dataset: {source: synthetic}\n", "t.yaml").threads == 0);
  CHECK(parse_pipeline("dataset: {source: synthetic}\nthreads: 3\n", "t.yaml").threads == 3);
  CHECK(parse_pipeline("dataset: {source: synthetic}\nthreads: auto\n", "t.yaml").threads == 0);
  CHECK_THROWS_AS(parse_pipeline("dataset: {source: synthetic}\nthreads: 0\n", "t.yaml"), ConfigError);
}
