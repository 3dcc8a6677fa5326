// source: images and make_dataset images, alone and in host pipelines: what the folder tree becomes (ids,
// labels, bytes), bad files under on_error fail and skip, and an ImageNet-like pipeline that delivers the same
// batches at any transform concurrency.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "../graph/graph_test_util.hpp"
#include "data_test_util.hpp"
#include "feedgraph/tools/make_dataset.hpp"
#include "image_test_util.hpp"

using namespace feedgraph;
using imgtest::TempDir;

namespace {

std::unique_ptr<Source> images_source(const std::string& options) { return datatest::source("images", options); }

std::string config_error(const std::string& options) {
  try {
    images_source(options);
  } catch (const ConfigError& e) {
    return e.what();
  }
  FAIL("expected a ConfigError");
  return "";
}

/// A host pipeline over the images in `folder`, decoding and cropping to 16x16, checksum compute.
std::string pipeline(const std::string& folder, const std::string& extra = "") {
  return "name: images\ndevice: host\nbatch_size: 4\nepochs: 1\nseed: 3\n"
         "dataset: {source: images, path: '" + folder + "'" + extra + "}\n"
         "transforms: [decode_jpeg, {center_crop: {size: 16}}]\n"
         "concurrency: {read: 2, transform: 2}\ncompute: {kernel: checksum}\nwatchdog_s: 30\n";
}

/// `count` good JPEG files, img<i>.jpg, alternately in dog/ and cat/.
void write_folder(const TempDir& dir, int count) {
  const auto jpeg = imgtest::encode_jpeg(imgtest::smooth_rgb(24, 20), 24, 20);
  for (int i = 0; i < count; ++i)
    imgtest::write_bytes(dir.path() / (i % 2 ? "cat" : "dog") / ("img" + std::to_string(i) + ".jpg"), jpeg);
}

}  // namespace

TEST_SUITE("data") {

TEST_CASE("make_dataset images writes class folders of JPEG files deterministic in seed and index") {
  TempDir dir("make-images");
  MakeDatasetOptions o;
  o.kind = "images";
  o.samples = 12;
  o.classes = 5;
  o.width = 40;
  o.height = 30;
  o.out = (dir.path() / "a").string();
  const MadeDataset made = make_dataset(o);
  REQUIRE(made.files.size() == 12);
  CHECK(made.files[7] == (dir.path() / "a" / "class_002" / "000007.jpg").string());
  std::uint64_t total = 0;
  for (const auto& f : made.files) total += std::filesystem::file_size(f);
  CHECK(made.bytes == total);
  // Each decodes to the requested size.
  const auto file = imgtest::read_bytes(made.files[7]);
  const SampleLayout encoded{{static_cast<std::int64_t>(file.size())}, DType::u8};
  const auto decoded = imgtest::apply("decode_jpeg", "", encoded, imgtest::as_bytes(file));
  CHECK(decoded.layout == SampleLayout{{30, 40, 3}, DType::u8});
  // Not flat: a photo-like image has texture (the content is not one colour).
  const auto px = decoded.values<std::uint8_t>();
  CHECK(*std::max_element(px.begin(), px.end()) - *std::min_element(px.begin(), px.end()) > 40);
  // The same (seed, index) writes the same file; another seed another one.
  o.out = (dir.path() / "b").string();
  CHECK(imgtest::read_bytes(make_dataset(o).files[7]) == file);
  o.seed = 1;
  o.out = (dir.path() / "c").string();
  CHECK(imgtest::read_bytes(make_dataset(o).files[7]) != file);
  // No temporary file is left behind.
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir.path()))
    CHECK(e.path().filename().string()[0] != '.');
}

TEST_CASE("make_dataset images with size_jitter varies each image's size within the bounds / the same for a seed") {
  TempDir dir("make-images-jitter");
  MakeDatasetOptions o;
  o.kind = "images";
  o.samples = 40;
  o.width = 100;
  o.height = 60;
  o.size_jitter = 0.3;
  o.out = (dir.path() / "a").string();
  const MadeDataset made = make_dataset(o);
  std::set<std::pair<std::int64_t, std::int64_t>> sizes;
  std::set<std::uintmax_t> file_sizes;
  for (const auto& f : made.files) {
    const auto file = imgtest::read_bytes(f);
    const auto decoded = imgtest::apply("decode_jpeg", "", SampleLayout{{static_cast<std::int64_t>(file.size())}, DType::u8},
                                        imgtest::as_bytes(file));
    const std::int64_t h = decoded.layout.shape[0], w = decoded.layout.shape[1];
    CHECK(w >= 70);
    CHECK(w <= 130);
    CHECK(h >= 42);
    CHECK(h <= 78);
    sizes.insert({h, w});
    file_sizes.insert(file.size());
  }
  CHECK(sizes.size() > 30);  // nearly every image its own size, aspect ratios included
  CHECK(file_sizes.size() > 30);
  o.out = (dir.path() / "b").string();
  CHECK(imgtest::read_bytes(make_dataset(o).files[9]) == imgtest::read_bytes(made.files[9]));
  o.size_jitter = 1.0;
  CHECK_THROWS_WITH_AS(make_dataset(o), doctest::Contains("size-jitter"), ConfigError);
}

TEST_CASE("source images sorts classes by name and files within them and reads each file's bytes") {
  TempDir dir("images-listing");
  imgtest::write_bytes(dir.path() / "b" / "2.jpg", {1, 2, 3});
  imgtest::write_bytes(dir.path() / "b" / "1.JPEG", {4, 5});
  imgtest::write_bytes(dir.path() / "b" / "sub" / "0.jpeg", {6});
  imgtest::write_bytes(dir.path() / "b" / "notes.txt", {7});
  imgtest::write_bytes(dir.path() / "b" / ".hidden.jpg", {8});
  imgtest::write_bytes(dir.path() / "a" / "z.jpg", {9, 9, 9, 9});
  std::filesystem::create_directories(dir.path() / "c_empty");
  imgtest::write_bytes(dir.path() / "d" / "x.jpg", {10, 11});
  imgtest::write_bytes(dir.path() / "loose.jpg", {12});  // not in a class folder

  const auto source = images_source("{path: '" + dir.str() + "'}");
  CHECK(source->layout() == SampleLayout{{kVaries}, DType::u8});
  REQUIRE(source->size() == 5);
  const std::vector<std::string> files{"a/z.jpg", "b/1.JPEG", "b/2.jpg", "b/sub/0.jpeg", "d/x.jpg"};
  const std::vector<std::int64_t> labels{0, 1, 1, 1, 3};  // the empty class keeps index 2
  for (std::int64_t id = 0; id < 5; ++id) {
    CAPTURE(id);
    CHECK(source->where(id) == (dir.path() / files[static_cast<std::size_t>(id)]).string());
    CHECK(source->label(id) == labels[static_cast<std::size_t>(id)]);
  }
  CHECK(source->largest_sample_bytes() == 4);
  detail::SampleBuffer out;
  source->read(2, out);
  CHECK(out.layout() == SampleLayout{{3}, DType::u8});
  CHECK(imgtest::values_of<std::uint8_t>(out.bytes()) == std::vector<std::uint8_t>{1, 2, 3});

  // extensions: only these.
  const auto txt = images_source("{path: '" + dir.str() + "', extensions: [txt]}");
  REQUIRE(txt->size() == 1);
  CHECK(txt->where(0) == (dir.path() / "b" / "notes.txt").string());
}

TEST_CASE("source images names the folder when it is missing or not a folder or holds no images") {
  TempDir dir("images-config");
  std::string e = config_error("{path: '" + dir.str() + "/nope'}");
  CHECK(e.find("no such folder: " + dir.str() + "/nope") != std::string::npos);
  CHECK(e.find("test.yaml:1:") != std::string::npos);
  imgtest::write_bytes(dir.path() / "file", {1});
  CHECK(config_error("{path: '" + dir.str() + "/file'}").find(dir.str() + "/file is not a folder") != std::string::npos);
  std::filesystem::create_directories(dir.path() / "empty" / "class_a");
  e = config_error("{path: '" + dir.str() + "/empty'}");
  CHECK(e.find("no images in " + dir.str() + "/empty") != std::string::npos);
  CHECK(e.find("1 class folder(s)") != std::string::npos);
  CHECK(config_error("{}").find("needs path") != std::string::npos);
}

TEST_CASE("a file that changed size since the listing is a DataError naming it") {
  TempDir dir("images-changed");
  write_folder(dir, 2);
  const auto source = images_source("{path: '" + dir.str() + "'}");
  const std::string path = source->where(0);
  std::filesystem::resize_file(path, 10);
  detail::SampleBuffer out;
  try {
    source->read(0, out);
    FAIL("expected a DataError");
  } catch (const DataError& e) {
    CHECK(e.where() == path);
    CHECK(e.message().find("changed size since the dataset was listed") != std::string::npos);
  }
}

TEST_CASE("a truncated JPEG fails the run with a StageError naming the file") {
  TempDir dir("images-truncated");
  write_folder(dir, 9);
  const auto jpeg = imgtest::encode_jpeg(imgtest::textured_rgb(48, 40), 48, 40);
  const auto bad = dir.path() / "cat" / "img5.jpg";
  imgtest::write_bytes(bad, std::vector<unsigned char>(jpeg.begin(), jpeg.begin() + static_cast<std::ptrdiff_t>(jpeg.size() / 2)));
  try {
    run(parse_pipeline(pipeline(dir.str()), "t.yaml"));
    FAIL("expected a StageError");
  } catch (const StageError& e) {
    CHECK(e.node() == "transform");
    CHECK(e.message().find(bad.string()) != std::string::npos);
    CHECK(e.message().find("Premature end of JPEG file") != std::string::npos);
  }
}

TEST_CASE("a file that is not a JPEG is skipped and counted under on_error skip with its path") {
  TempDir dir("images-text");
  write_folder(dir, 9);
  const std::string text = "not a picture\n";
  const auto bad = dir.path() / "dog" / "img4.jpg";
  imgtest::write_bytes(bad, std::vector<unsigned char>(text.begin(), text.end()));
  auto spec = parse_pipeline(pipeline(dir.str(), ", on_error: skip"), "t.yaml");
  fgtest::Deliveries d;
  const RunStats stats = run(spec, d.options());
  CHECK(stats.samples == 8);
  CHECK(stats.skipped == 1);
  REQUIRE(stats.skipped_samples.size() == 1);
  CHECK(stats.skipped_samples[0].where == bad.string());
  CHECK(stats.skipped_samples[0].message.find("Not a JPEG file") != std::string::npos);
  // Under fail, the same file ends the run naming it.
  CHECK_THROWS_WITH_AS(run(parse_pipeline(pipeline(dir.str()), "t.yaml")), doctest::Contains(bad.c_str()), StageError);
}

TEST_CASE("an unreadable file gives an error naming it or a counted skip") {
  if (datatest::reads_anything()) {
    MESSAGE("skipped: root reads files whatever their permissions");
    return;
  }
  TempDir dir("images-unreadable");
  write_folder(dir, 6);
  const auto bad = dir.path() / "cat" / "img3.jpg";
  ::chmod(bad.c_str(), 0);
  try {
    run(parse_pipeline(pipeline(dir.str()), "t.yaml"));
    FAIL("expected a StageError");
  } catch (const StageError& e) {
    CHECK(e.node() == "read");
    CHECK(e.message().find(bad.string() + ": cannot open: Permission denied") != std::string::npos);
  }
  const RunStats stats = run(parse_pipeline(pipeline(dir.str(), ", on_error: skip"), "t.yaml"));
  CHECK(stats.skipped == 1);
  REQUIRE(stats.skipped_samples.size() == 1);
  CHECK(stats.skipped_samples[0].where == bad.string());
}

TEST_CASE("an ImageNet-like host pipeline delivers identical batches at transform concurrency 1 and 4") {
  TempDir dir("images-e2e");
  MakeDatasetOptions o;
  o.kind = "images";
  o.samples = 60;
  o.classes = 4;
  o.width = 48;
  o.height = 40;
  o.out = dir.str();
  make_dataset(o);
  auto yaml = [&](int transform) {
    return "name: imagenet-like\ndevice: host\nbatch_size: 8\nepochs: 2\nseed: 11\n"
           "dataset: {source: images, path: '" + dir.str() + "', shuffle: true}\n"
           "transforms:\n  - decode_jpeg\n  - random_resized_crop: {size: 32}\n  - random_flip\n  - to_chw\n"
           "  - normalize: {mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375]}\n"
           "concurrency: {read: 2, transform: " + std::to_string(transform) + "}\nprefetch: 4\n"
           "compute: {kernel: checksum}\nwatchdog_s: 30\n";
  };
  const PipelineSpec one = parse_pipeline(yaml(1), "one.yaml");
  const PipelineSpec four = parse_pipeline(yaml(4), "four.yaml");
  CHECK(plan(one).transfer_layout == SampleLayout{{3, 32, 32}, DType::f32});
  fgtest::Deliveries a, b;
  run(one, a.options());
  run(four, b.options());
  fgtest::check_exactly_once(a, 60, 2, true);
  REQUIRE(a.records.size() == b.records.size());
  for (std::size_t i = 0; i < a.records.size(); ++i) {
    CAPTURE(i);
    CHECK(a.ids[i] == b.ids[i]);
    CHECK(a.records[i].host_checksum == b.records[i].host_checksum);
  }
  // The checksums are those of the same chain run outside the graph.
  CHECK(a.records[0].host_checksum == fgtest::expected_checksum(one, a.ids[0], 0));
  CHECK(a.records[8].host_checksum == fgtest::expected_checksum(one, a.ids[8], 1));
  // Every label is the index of the sample's class folder.
  const auto source = detail::build_source(one.dataset, {});
  for (std::size_t i = 0; i < a.records.size(); ++i)
    for (std::size_t j = 0; j < a.ids[i].size(); ++j) {
      const std::string folder = std::filesystem::path(source->where(a.ids[i][j])).parent_path().filename().string();
      CHECK(folder == "class_00" + std::to_string(a.labels[i][j]));
    }
}

TEST_CASE("a cached images dataset is held at the files' size and serves the same batches without the files") {
  TempDir dir("images-cache");
  MakeDatasetOptions o;
  o.kind = "images";
  o.samples = 30;
  o.classes = 3;
  o.width = 40;
  o.height = 32;
  o.out = dir.str();
  const MadeDataset made = make_dataset(o);
  std::uint64_t files_bytes = 0;
  for (const auto& f : made.files) files_bytes += std::filesystem::file_size(f);
  auto yaml = [&](const std::string& cache) {
    return "name: cached\ndevice: host\nbatch_size: 4\nepochs: 2\nseed: 5\n"
           "dataset: {source: images, path: '" + dir.str() + "', shuffle: true" + cache + "}\n"
           "transforms: [decode_jpeg, {random_resized_crop: {size: 24}}, random_flip]\n"
           "concurrency: {read: 2, transform: 2}\nprefetch: 3\ncompute: {kernel: checksum}\nwatchdog_s: 30\n";
  };
  const PipelineSpec plain = parse_pipeline(yaml(""), "plain.yaml");
  const PipelineSpec cached = parse_pipeline(yaml(", cache: true"), "cached.yaml");
  const Plan p = plan(cached);
  CHECK(p.memory.cache_bytes == files_bytes);
  fgtest::Deliveries a, b;
  run(plain, a.options());
  // Once the cache is filled the files are not read again: the run that follows their removal still delivers.
  RunOptions options = b.options();
  bool removed = false;
  const auto on_batch = options.on_batch;
  options.on_batch = [&](const BatchRecord& r) {
    if (!removed) {
      std::filesystem::remove_all(dir.path());
      removed = true;
    }
    on_batch(r);
  };
  const RunStats stats = run(cached, options);
  CHECK(removed);
  CHECK(stats.cache_fill_s > 0);
  CHECK(stats.peak_memory_bytes <= p.memory.total());
  fgtest::check_exactly_once(b, 30, 2, true);
  REQUIRE(a.records.size() == b.records.size());
  for (std::size_t i = 0; i < a.records.size(); ++i) {
    CAPTURE(i);
    CHECK(a.ids[i] == b.ids[i]);
    CHECK(a.labels[i] == b.labels[i]);
    CHECK(a.records[i].host_checksum == b.records[i].host_checksum);
  }
}

TEST_CASE("a cached images dataset still skips and reports a bad file every epoch") {
  TempDir dir("images-cache-bad");
  write_folder(dir, 9);
  const std::string text = "not a picture\n";
  const auto bad = dir.path() / "dog" / "img4.jpg";
  imgtest::write_bytes(bad, std::vector<unsigned char>(text.begin(), text.end()));
  std::string yaml = pipeline(dir.str(), ", on_error: skip, cache: true");
  yaml.replace(yaml.find("epochs: 1"), 9, "epochs: 2");
  const RunStats stats = run(parse_pipeline(yaml, "t.yaml"));
  CHECK(stats.samples == 16);
  CHECK(stats.skipped == 2);
  REQUIRE(stats.skipped_samples.size() == 2);
  CHECK(stats.skipped_samples[0].where == bad.string());
}

}  // TEST_SUITE("data")
