// make_dataset(): its checks, what it writes (files, sizes, headers), and that nothing half-written is left.
#include <algorithm>
#include <cstring>

#include "data_test_util.hpp"
#include "feedgraph/detail/record_format.hpp"

using namespace feedgraph;
using datatest::contains;

namespace {

MakeDatasetOptions options(const std::string& kind, const std::string& out, std::int64_t samples = 10) {
  MakeDatasetOptions o;
  o.kind = kind;
  o.out = out;
  o.samples = samples;
  return o;
}

/// The ConfigError make_dataset throws for `o`, as "key: message".
std::string rejection(const MakeDatasetOptions& o) {
  try {
    make_dataset(o);
  } catch (const ConfigError& e) {
    CHECK(e.file() == "make-dataset");
    return e.key_path() + ": " + e.message();
  }
  FAIL("expected a ConfigError");
  return {};
}

std::vector<std::string> names_in(const std::string& folder) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(folder))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

TEST_SUITE_BEGIN("data");

TEST_CASE("make_dataset rejects options that make no sense before writing anything") {
  datatest::TempDir dir;
  const auto out = dir / "x.rec";
  auto o = options("records", out);
  o.kind = "csv";
  CHECK(contains(rejection(o), "kind: unknown kind 'csv'"));
  o = options("records", out, 0);
  CHECK(contains(rejection(o), "samples:"));
  o = options("records", "");
  CHECK(contains(rejection(o), "out: missing"));
  o = options("npy", out);
  o.shards = 2;
  CHECK(contains(rejection(o), "shards: applies to records only"));
  o = options("records", out, 3);
  o.shards = 4;
  CHECK(contains(rejection(o), "shards:"));
  o = options("records", out);
  o.shards = 0;
  CHECK(contains(rejection(o), "shards:"));
  o = options("records", out);
  o.classes = -1;
  CHECK(contains(rejection(o), "classes:"));
  o = options("records", out);
  o.sample.shape = {3, 0};
  CHECK(contains(rejection(o), "shape:"));
  o = options("npy", out);
  o.sample.shape = {};
  CHECK(contains(rejection(o), "shape:"));
  o = options("records", out);
  o.seed = ~std::uint64_t{0};
  CHECK(contains(rejection(o), "seed:"));
  o = options("images", dir / "img");
  o.quality = 0;
  CHECK(contains(rejection(o), "quality:"));
  CHECK(names_in(dir.str()).empty());
}

TEST_CASE("make_dataset records with shards writes contiguous ranges into part files and reports them") {
  datatest::TempDir dir;
  auto o = options("records", dir / "parts", 10);
  o.shards = 3;
  o.sample = {{4}, DType::u8};
  const auto made = make_dataset(o);
  REQUIRE(made.files.size() == 3);
  CHECK(made.files[0] == dir / "parts/part-00000.rec");
  CHECK(made.files[2] == dir / "parts/part-00002.rec");
  CHECK(names_in(dir / "parts") == std::vector<std::string>{"part-00000.rec", "part-00001.rec", "part-00002.rec"});
  // 10 samples in 3 shards: [0, 3) [3, 6) [6, 10), records of 8 + 4 bytes after a 4 KiB header.
  const std::vector<std::uint64_t> counts{3, 3, 4};
  std::uint64_t total = 0;
  for (std::size_t s = 0; s < 3; ++s) {
    const auto size = std::filesystem::file_size(made.files[s]);
    CHECK(size == 4096 + counts[s] * 12);
    total += size;
    const auto bytes = datatest::read_file(made.files[s]);
    const auto decoded = detail::records::decode_header(std::as_bytes(std::span(bytes.data(), bytes.size())));
    CHECK(decoded.error.empty());
    CHECK(decoded.header.count == counts[s]);
    CHECK(decoded.header.labels);
  }
  CHECK(made.bytes == total);
}

TEST_CASE("make_dataset refuses a shard folder that holds record files it would not overwrite") {
  datatest::TempDir dir;
  auto o = options("records", dir / "d", 20);
  o.shards = 4;
  make_dataset(o);
  o.shards = 2;  // part-00002 and part-00003 would stay and be read with the new parts
  const auto what = datatest::error_of([&] { make_dataset(o); });
  CHECK(contains(what, dir / "d"));
  CHECK(contains(what, "part-00002.rec"));
  o.shards = 4;  // writing the same parts again replaces them
  CHECK(make_dataset(o).files.size() == 4);
}

TEST_CASE("make_dataset npy writes the header NumPy writes and a labels file beside the data") {
  datatest::TempDir dir;
  auto o = options("npy", dir / "sub/train.npy", 5);
  o.sample = {{3, 2}, DType::f16};
  o.classes = 3;
  const auto made = make_dataset(o);
  REQUIRE(made.files == std::vector<std::string>{dir / "sub/train.npy", dir / "sub/train.labels.npy"});
  const auto data = datatest::read_file(made.files[0]);
  const std::string dict = "{'descr': '<f2', 'fortran_order': False, 'shape': (5, 3, 2), }";
  REQUIRE(data.size() == 128 + 5 * 12);
  CHECK(data.substr(0, 8) == std::string("\x93NUMPY\x01\x00", 8));
  CHECK(static_cast<unsigned char>(data[8]) + 256 * static_cast<unsigned char>(data[9]) == 118);
  CHECK(data.substr(10, dict.size()) == dict);
  CHECK(data[127] == '\n');
  const auto labels = datatest::read_file(made.files[1]);
  CHECK(labels.substr(10, 50) == "{'descr': '<i8', 'fortran_order': False, 'shape': ");
  CHECK(labels.find("(5,)") != std::string::npos);
  REQUIRE(labels.size() == 128 + 5 * 8);
  std::int64_t values[5];
  std::memcpy(values, labels.data() + 128, sizeof values);
  CHECK(std::vector<std::int64_t>(values, values + 5) == std::vector<std::int64_t>{0, 1, 2, 0, 1});
  CHECK(made.bytes == data.size() + labels.size());
  o.classes = 0;
  o.out = dir / "bare.npy";
  CHECK(make_dataset(o).files == std::vector<std::string>{dir / "bare.npy"});
}

TEST_CASE("make_dataset leaves no temporary file and replaces an earlier dataset whole") {
  datatest::TempDir dir;
  auto o = options("records", dir / "one.rec", 50);
  make_dataset(o);
  o.samples = 20;
  make_dataset(o);
  CHECK(names_in(dir.str()) == std::vector<std::string>{"one.rec"});
  CHECK(datatest::source("records", "{path: " + datatest::quoted(dir / "one.rec") + "}")->size() == 20);
  // A write that cannot happen leaves nothing behind either: the output names an existing folder.
  std::filesystem::create_directories(dir / "taken.npy");
  o = options("npy", dir / "taken.npy");
  CHECK(contains(datatest::error_of([&] { make_dataset(o); }), dir / "taken.npy"));
  CHECK(names_in(dir.str()) == std::vector<std::string>{"one.rec", "taken.npy"});
}

TEST_CASE("make_dataset with one shard refuses an output that is a folder and several refuse a file") {
  datatest::TempDir dir;
  std::filesystem::create_directories(dir / "folder");
  CHECK(contains(datatest::error_of([&] { make_dataset(options("records", dir / "folder")); }), "is a folder"));
  auto o = options("records", dir / "file.rec");
  make_dataset(o);
  o.shards = 2;
  CHECK(contains(datatest::error_of([&] { make_dataset(o); }), "is a file"));
}

TEST_SUITE_END();
