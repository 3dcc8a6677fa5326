// `source: npy`: byte for byte what synthetic gives across files, labels, where, headers as NumPy writes them,
// every corrupt input named, and a whole pipeline over .npy files.
#include <fmt/format.h>

#include "../graph/graph_test_util.hpp"
#include "data_test_util.hpp"
#include "feedgraph/detail/npy_format.hpp"

using namespace feedgraph;
using datatest::contains;
using datatest::error_of;
using datatest::npy_bytes;
using datatest::quoted;

namespace {

std::unique_ptr<Source> npy_at(const std::string& path, const std::string& more = "") {
  return datatest::source("npy", "{path: " + quoted(path) + more + "}");
}

/// The dict NumPy 1.x/2.x writes for a C-ordered array: `(5,)` for one dimension, `(5, 3)` for more.
std::string numpy_dict(const std::string& descr_text, const std::vector<std::int64_t>& shape,
                       const std::string& fortran = "False") {
  std::string dims;
  for (std::size_t i = 0; i < shape.size(); ++i) dims += (i ? ", " : "") + std::to_string(shape[i]);
  if (shape.size() == 1) dims += ",";
  return "{'descr': '" + descr_text + "', 'fortran_order': " + fortran + ", 'shape': (" + dims + "), }";
}

/// Writes synthetic samples [first, last) of `layout` as one .npy file at `path`, as np.save would.
void write_part(const std::string& path, const SampleLayout& layout, std::int64_t first, std::int64_t last,
                std::int64_t samples, int major = 1) {
  std::vector<std::int64_t> shape{last - first};
  shape.insert(shape.end(), layout.shape.begin(), layout.shape.end());
  datatest::write_file(path, npy_bytes(numpy_dict(std::string(detail::npy::descr_of(layout.dtype)), shape),
                                       datatest::synthetic_bytes(layout, 3, first, last, samples), major));
}

std::string make_npy(const datatest::TempDir& dir, const std::string& name, std::int64_t samples,
                     SampleLayout layout, std::uint64_t seed, int classes = 10) {
  MakeDatasetOptions o;
  o.kind = "npy";
  o.samples = samples;
  o.out = dir / name;
  o.sample = std::move(layout);
  o.seed = seed;
  o.classes = classes;
  make_dataset(o);
  return o.out;
}

}  // namespace

TEST_SUITE_BEGIN("data");

TEST_CASE("npy source gives back byte for byte what synthetic gives over dtypes and shapes") {
  datatest::TempDir dir;
  const std::vector<SampleLayout> layouts{{{3, 32, 32}, DType::u8}, {{7}, DType::i32}, {{2, 3, 5}, DType::f16},
                                          {{4, 4}, DType::f32}};
  int n = 0;
  for (const auto& layout : layouts) {
    CAPTURE(layout.describe());
    const auto path = make_npy(dir, fmt::format("a{}.npy", n++), 45, layout, 8);
    datatest::check_same_samples(*npy_at(path), *datatest::synthetic(layout, 8, 45));
  }
}

TEST_CASE("several npy files concatenate along axis 0 in name order") {
  datatest::TempDir dir;
  const SampleLayout layout{{2, 3}, DType::f32};
  std::filesystem::create_directories(dir / "parts");
  // Written out of order, and one of format 2.0: ids follow the names, whatever the version.
  write_part(dir / "parts/x-2.npy", layout, 30, 50, 50);
  write_part(dir / "parts/x-0.npy", layout, 0, 10, 50, 2);
  write_part(dir / "parts/x-1.npy", layout, 10, 30, 50);
  auto all = datatest::synthetic(layout, 3, 50);
  datatest::check_same_samples(*npy_at(dir / "parts"), *all);
  datatest::check_same_samples(*npy_at(dir / "parts/x-*.npy"), *all);
  auto src = npy_at(dir / "parts");
  CHECK(src->where(0) == (dir / "parts/x-0.npy") + " offset 128");  // a 2.0 header padded to 128
  CHECK(src->where(12) == (dir / "parts/x-1.npy") + " offset " + std::to_string(128 + 2 * 24));
  CHECK(src->label(12) == 0);
}

TEST_CASE("npy labels come from the labels file and are 0 without one") {
  datatest::TempDir dir;
  const auto path = make_npy(dir, "l.npy", 30, {{4}, DType::u8}, 0, 7);
  auto src = npy_at(path, ", labels: " + quoted(dir / "l.labels.npy"));
  for (std::int64_t id = 0; id < 30; ++id) CHECK(src->label(id) == id % 7);
  CHECK(npy_at(path)->label(5) == 0);
  // <i4 labels, as np.save(np.arange(n, dtype=np.int32)) writes them.
  std::string data;
  for (std::int32_t i = 0; i < 30; ++i) data.append(reinterpret_cast<const char*>(&i), 4);
  datatest::write_file(dir / "i4.npy", npy_bytes(numpy_dict("<i4", {30}), data));
  auto narrow = npy_at(path, ", labels: " + quoted(dir / "i4.npy"));
  CHECK(narrow->label(29) == 29);
}

TEST_CASE("npy folder reading leaves out label files and the labels option's file") {
  datatest::TempDir dir;
  const SampleLayout layout{{5}, DType::i32};
  const auto path = make_npy(dir, "train.npy", 20, layout, 6);
  auto src = npy_at(dir.str(), ", labels: " + quoted(dir / "train.labels.npy"));
  datatest::check_same_samples(*src, *datatest::synthetic(layout, 6, 20));
  CHECK(src->label(13) == 3);
  // A glob that matches the labels file too: the file named by `labels` is not data.
  datatest::check_same_samples(*npy_at(dir / "*.npy", ", labels: " + quoted(dir / "train.labels.npy")),
                               *datatest::synthetic(layout, 6, 20));
}

TEST_CASE("npy reads headers as NumPy writes them: 1-D arrays / format 2.0 / Python 2 long shapes") {
  datatest::TempDir dir;
  std::string data;
  for (std::int32_t i = 0; i < 6; ++i) data.append(reinterpret_cast<const char*>(&i), 4);
  datatest::write_file(dir / "v1.npy", npy_bytes(numpy_dict("<i4", {6}), data));
  auto scalars = npy_at(dir / "v1.npy");
  CHECK(scalars->size() == 6);
  CHECK(scalars->layout() == SampleLayout{{}, DType::i32});
  datatest::write_file(dir / "v2.npy",
                       npy_bytes("{\"descr\": \"<i4\", \"fortran_order\": False, \"shape\": (3, 2)}", data, 2));
  auto pairs = npy_at(dir / "v2.npy");
  CHECK(pairs->size() == 3);
  CHECK(pairs->layout() == SampleLayout{{2}, DType::i32});
  const auto last = datatest::read_sample(*pairs, 2);
  std::int32_t v[2];
  std::memcpy(v, last.data(), 8);
  CHECK(v[0] == 4);
  CHECK(v[1] == 5);
  datatest::write_file(dir / "py2.npy",
                       npy_bytes("{'descr': '<i4', 'fortran_order': False, 'shape': (2L, 3L), }", data));
  CHECK(npy_at(dir / "py2.npy")->layout() == SampleLayout{{3}, DType::i32});
}

TEST_CASE("a file that is not npy or whose header does not parse is an error naming the file") {
  datatest::TempDir dir;
  const std::string data(24, '\0');
  const std::vector<std::pair<std::string, std::string>> cases{
      {"garbage.npy", "this is not a numpy file at all"},
      {"version.npy", std::string("\x93NUMPY\x03\x00\x10\x00", 10) + std::string(16, ' ')},
      {"unclosed.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (6,", data)},
      {"notdict.npy", npy_bytes("['descr', '<f4']", data)},
      {"missing.npy", npy_bytes("{'descr': '<f4', 'shape': (6,), }", data)},
      {"extra.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), 'x': 1, }", data)},
      {"shape.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': 'six', }", data)},
      {"negative.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (-6,), }", data)},
      {"order.npy", npy_bytes("{'descr': '<f4', 'fortran_order': 0, 'shape': (6,), }", data)},
      {"zerod.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", data)},
      {"hlen.npy", std::string("\x93NUMPY\x01\x00\xff\x7f{'descr'", 17)},
  };
  for (const auto& [name, bytes] : cases) {
    CAPTURE(name);
    datatest::write_file(dir / name, bytes);
    const auto what = error_of([&] { npy_at(dir / name); });
    CHECK(contains(what, dir / name));
  }
}

TEST_CASE("fortran_order True is an error naming the file") {
  datatest::TempDir dir;
  datatest::write_file(dir / "f.npy", npy_bytes(numpy_dict("<f4", {3, 2}, "True"), std::string(24, '\0')));
  const auto what = error_of([&] { npy_at(dir / "f.npy"); });
  CHECK(contains(what, dir / "f.npy"));
  CHECK(contains(what, "fortran_order"));
}

TEST_CASE("an unsupported npy descr is an error naming the file and the descr") {
  datatest::TempDir dir;
  for (const std::string d : {"<f8", ">f4", "<i8", "|b1", "<u2"}) {
    CAPTURE(d);
    datatest::write_file(dir / "d.npy", npy_bytes(numpy_dict(d, {2}), std::string(32, '\0')));
    const auto what = error_of([&] { npy_at(dir / "d.npy"); });
    CHECK(contains(what, dir / "d.npy"));
    CHECK(contains(what, "unsupported descr '" + d + "'"));
  }
  datatest::write_file(dir / "r.npy", npy_bytes("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }",
                                                std::string(8, '\0')));
  CHECK(contains(error_of([&] { npy_at(dir / "r.npy"); }), "unsupported descr '[('a', '<f4')]'"));
}

TEST_CASE("an npy shape whose samples would be over 1 TiB is an error naming the file / even with no sample") {
  // Found by fuzz_npy_header: the shape's product overflowed int64 in SampleLayout::elements().
  datatest::TempDir dir;
  for (const std::string shape : {"3, 36294967297, 41099511627776, 4", "1, 4294967296, 4294967296",
                                  "0, 4294967296, 4294967296", "0, 1099511627776, 2"}) {
    CAPTURE(shape);
    datatest::write_file(dir / "big.npy", npy_bytes("{'descr': '|u1', 'fortran_order': False, 'shape': (" + shape +
                                                        "), }",
                                                    ""));
    const auto what = error_of([&] { npy_at(dir / "big.npy"); });
    CHECK(contains(what, dir / "big.npy"));
    CHECK(contains(what, "are larger than 1 TiB"));
  }
  // 1 TiB itself is a sample size the header may name; this file is just too short to hold one.
  datatest::write_file(dir / "tib.npy",
                       npy_bytes("{'descr': '|u1', 'fortran_order': False, 'shape': (1, 1099511627776), }", ""));
  CHECK(contains(error_of([&] { npy_at(dir / "tib.npy"); }), "truncated"));
}

TEST_CASE("a truncated npy file is an error naming the file") {
  datatest::TempDir dir;
  const auto path = make_npy(dir, "t.npy", 10, {{3, 4}, DType::f32}, 0);
  std::filesystem::resize_file(path, 128 + 9 * 48 + 5);
  const auto what = error_of([&] { npy_at(path); });
  CHECK(contains(what, path));
  CHECK(contains(what, "truncated"));
  std::filesystem::resize_file(path, 40);  // inside the header
  CHECK(contains(error_of([&] { npy_at(path); }), path));
  // And a file longer than its shape says.
  const auto longer = make_npy(dir, "l.npy", 10, {{3}, DType::u8}, 0);
  std::ofstream(longer, std::ios::binary | std::ios::app) << "more";
  CHECK(contains(error_of([&] { npy_at(longer); }), "4 bytes after the array's data"));
}

TEST_CASE("npy files that disagree on dtype or sample shape are an error naming both files") {
  datatest::TempDir dir;
  std::filesystem::create_directories(dir / "m");
  write_part(dir / "m/a.npy", {{4}, DType::f32}, 0, 5, 10);
  write_part(dir / "m/b.npy", {{4}, DType::u8}, 5, 10, 10);
  const auto dtype = error_of([&] { npy_at(dir / "m"); });
  CHECK(contains(dtype, dir / "m/a.npy"));
  CHECK(contains(dtype, dir / "m/b.npy"));
  write_part(dir / "m/b.npy", {{2, 2}, DType::f32}, 5, 10, 10);
  const auto shape = error_of([&] { npy_at(dir / "m"); });
  CHECK(contains(shape, dir / "m/b.npy"));
  CHECK(contains(shape, "2x2 float32"));
  CHECK(contains(error_of([&] { npy_at(dir / "m/a.npy", ", dtype: uint8"); }), (dir / "m/a.npy") + " holds float32"));
}

TEST_CASE("an npy labels file of the wrong length or dtype or rank is an error naming it") {
  datatest::TempDir dir;
  const auto path = make_npy(dir, "x.npy", 10, {{2}, DType::u8}, 0, 0);
  datatest::write_file(dir / "short.npy", npy_bytes(numpy_dict("<i8", {9}), std::string(72, '\0')));
  const auto count = error_of([&] { npy_at(path, ", labels: " + quoted(dir / "short.npy")); });
  CHECK(contains(count, dir / "short.npy"));
  CHECK(contains(count, "9 labels for 10 samples"));
  datatest::write_file(dir / "float.npy", npy_bytes(numpy_dict("<f4", {10}), std::string(40, '\0')));
  CHECK(contains(error_of([&] { npy_at(path, ", labels: " + quoted(dir / "float.npy")); }), dir / "float.npy"));
  datatest::write_file(dir / "2d.npy", npy_bytes(numpy_dict("<i8", {5, 2}), std::string(80, '\0')));
  CHECK(contains(error_of([&] { npy_at(path, ", labels: " + quoted(dir / "2d.npy")); }), "1-D"));
  CHECK(contains(error_of([&] { npy_at(path, ", labels: " + quoted(dir / "none.npy")); }), dir / "none.npy"));
}

TEST_CASE("npy over an empty folder or a pattern matching nothing fails at the path option") {
  datatest::TempDir dir;
  const auto folder = error_of([&] { npy_at(dir.str()); });
  CHECK(contains(folder, dir.str()));
  CHECK(contains(folder, "no *.npy file"));
  const auto pattern = error_of([&] { npy_at(dir / "x-*.npy"); });
  CHECK(contains(pattern, dir / "x-*.npy"));
  CHECK(contains(pattern, "matches no file"));
}

TEST_CASE("an unreadable npy file is an error naming the file") {
  if (datatest::reads_anything()) {
    MESSAGE("skipped: running as root, which reads a file whatever its permissions");
    return;
  }
  datatest::TempDir dir;
  const auto path = make_npy(dir, "locked.npy", 10, {{4}, DType::u8}, 0);
  std::filesystem::permissions(path, std::filesystem::perms::none);
  const auto what = error_of([&] { npy_at(path); });
  CHECK(contains(what, path));
  CHECK(contains(what, "Permission denied"));
}

TEST_CASE("a pipeline over an npy dataset delivers every sample once with synthetic bytes and labels") {
  datatest::TempDir dir;
  const auto path = make_npy(dir, "p.npy", 150, {{3, 8, 8}, DType::f32}, 4, 6);
  const auto synthetic_spec = parse_pipeline(
      "device: host\nbatch_size: 16\ndataset: {source: synthetic, samples: 150, sample: {shape: [3, 8, 8]}, seed: 4}\n",
      "s.yaml");
  const auto spec = parse_pipeline(
      "device: host\nbatch_size: 16\nepochs: 2\nverify: true\nwatchdog_s: 20\n"
      "dataset: {source: npy, path: " + quoted(path) + ", labels: " + quoted(dir / "p.labels.npy") + "}\n"
      "compute: {kernel: checksum}\nconcurrency: {read: 4, transform: 2, pin: 2}\nprefetch: 3\n",
      "t.yaml");
  fgtest::Deliveries d;
  run(spec, d.options());
  fgtest::check_exactly_once(d, 150, 2, true);
  for (std::size_t b = 0; b < d.records.size(); ++b) {
    CHECK(d.records[b].host_checksum == fgtest::expected_checksum(synthetic_spec, d.ids[b], d.records[b].epoch));
    for (std::size_t j = 0; j < d.ids[b].size(); ++j) CHECK(d.labels[b][j] == d.ids[b][j] % 6);
  }
}

TEST_SUITE_END();
