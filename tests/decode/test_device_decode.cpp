// decode_jpeg in device_transforms: the files cross the link packed (a ragged batch), are checked on the host
// before they cross, and are decoded and cropped "on the device" (the host stand-in: libjpeg-turbo and the
// fused kernel's host reference). The same pipeline with the host transforms gives the same crops and flips.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <vector>

#include "../data/image_test_util.hpp"
#include "decode_test_util.hpp"
#include "backend/encoded_batch.hpp"
#include "../temp_dir.hpp"
#include "feedgraph/feedgraph.hpp"
#include "feedgraph/tools/make_dataset.hpp"

using namespace feedgraph;
using decodetest::jittered_images;
using decodetest::pull;
using decodetest::Pulled;

namespace {

std::string graph(const std::string& folder, const std::string& transforms, const std::string& device_transforms,
                  const std::string& extra = "") {
  return "name: decode\ndevice: host\nbatch_size: 6\nepochs: 2\nseed: 11\nwatchdog_s: 30\n"
         "dataset: {source: images, path: " + folder + ", shuffle: true" + extra + "}\n"
         "transforms: " + transforms + "\ndevice_transforms: " + device_transforms + "\n"
         "concurrency: {read: 3, transform: 2}\ncompute: {kernel: checksum}\nverify: true\n";
}

/// The largest difference between two pulls' samples of uint8, and how many bytes differ at all.
std::pair<int, double> compare_u8(const Pulled& a, const Pulled& b) {
  int worst = 0;
  std::size_t differ = 0, total = 0;
  for (std::size_t i = 0; i < a.samples.size(); ++i) {
    for (std::size_t k = 0; k < a.samples[i].size(); ++k) {
      const int d = std::abs(static_cast<int>(a.samples[i][k]) - static_cast<int>(b.samples[i][k]));
      worst = std::max(worst, d);
      differ += d != 0;
      ++total;
    }
  }
  return {worst, static_cast<double>(differ) / static_cast<double>(total)};
}

}  // namespace

TEST_SUITE("decode") {

TEST_CASE("decode on the device delivers the host pipeline's crops and flips with pixels within one level") {
  fgtest::TempDir dir("device-decode");
  jittered_images(dir / "images", 40, 90, 70);
  // Each geometry the device runs: a random crop then a flip, a flip then a crop (the window mirrored), a
  // centre crop of images smaller than it (scaled up first), an exact resize.
  for (const std::string geometry : {"{random_resized_crop: {size: 32}}, random_flip",
                                     "random_flip, {random_resized_crop: {size: 24, scale: [0.3, 1.0]}}",
                                     "{center_crop: {size: 96}}", "{resize: {height: 20, width: 30}}, random_flip"}) {
    CAPTURE(geometry);
    const Pulled host = pull(graph(dir / "images", "[decode_jpeg, " + geometry + "]", "[]"));
    const Pulled device = pull(graph(dir / "images", "[]", "[decode_jpeg, " + geometry + "]"));
    CHECK(device.layout == host.layout);
    CHECK(device.ids == host.ids);
    CHECK(device.labels == host.labels);
    REQUIRE(device.samples.size() == 80);
    // uint8 bilinear in 11-bit fixed point on the host, in float on the device: a rounding apart at most.
    const auto [worst, fraction] = compare_u8(host, device);
    CHECK(worst <= 1);
    CHECK(fraction < 0.05);
  }
}

TEST_CASE("normalized CHW float32 after decode on the device matches the host within one level over std") {
  fgtest::TempDir dir("device-decode-normalize");
  jittered_images(dir / "images", 24, 64, 48);
  const std::string norm = "to_chw, {normalize: {mean: [123.7, 116.3, 103.5], std: [58.4, 57.1, 57.4]}}";
  const Pulled host = pull(graph(dir / "images", "[decode_jpeg, {random_resized_crop: {size: 28}}, random_flip]",
                                 "[" + norm + "]"));
  const Pulled device = pull(graph(dir / "images", "[]",
                                   "[decode_jpeg, {random_resized_crop: {size: 28}}, random_flip, " + norm + "]"));
  CHECK(device.layout == SampleLayout{{3, 28, 28}, DType::f32});
  CHECK(device.ids == host.ids);
  double worst = 0;
  for (std::size_t i = 0; i < host.samples.size(); ++i) {
    const auto* a = reinterpret_cast<const float*>(host.samples[i].data());
    const auto* b = reinterpret_cast<const float*>(device.samples[i].data());
    for (std::size_t k = 0; k < host.samples[i].size() / 4; ++k) worst = std::max(worst, double(std::abs(a[k] - b[k])));
  }
  CHECK(worst <= 1.0 / 57.1 + 1e-5);
}

TEST_CASE("the ragged batch is planned from the largest files and checked across the copy") {
  fgtest::TempDir dir("device-decode-plan");
  const MadeDataset made = jittered_images(dir / "images", 30, 80, 60);
  std::vector<std::uint64_t> sizes;
  for (const auto& f : made.files) sizes.push_back(std::filesystem::file_size(f));
  std::sort(sizes.rbegin(), sizes.rend());
  std::uint64_t largest6 = 0;
  for (int i = 0; i < 6; ++i) largest6 += sizes[static_cast<std::size_t>(i)];
  const std::string yaml = graph(dir / "images", "[]", "[decode_jpeg, {center_crop: {size: 40}}]");
  const Plan p = plan(parse_pipeline(yaml, "d.yaml"));
  CHECK(p.ragged);
  CHECK(p.batch_bytes == largest6 + 6 * 7);
  CHECK(p.layout == SampleLayout{{40, 40, 3}, DType::u8});
  // Every file crossed once per epoch (packed at 8-byte boundaries), and verify compared the checksum of the
  // packed files each batch.
  const Pulled d = pull(yaml);
  CHECK(d.stats.bytes_copied >= 2 * made.bytes);
  CHECK(d.stats.bytes_copied <= 2 * made.bytes + 60 * 7);
  CHECK(d.ids.size() == 60);
}

TEST_CASE("bad files on the device path are checked on the host: skipped and counted or the run fails naming them") {
  fgtest::TempDir dir("device-decode-bad");
  jittered_images(dir / "images", 20, 48, 40);
  imgtest::write_bytes(dir / "images/class_001/zz-not-a-jpeg.jpg", {'n', 'o', 't', ' ', 'j', 'p', 'e', 'g'});
  // A real JPEG cut short in its scan: its header reads, its end-of-image marker is gone.
  const auto whole = imgtest::encode_jpeg(imgtest::textured_rgb(64, 64), 64, 64);
  imgtest::write_bytes(dir / "images/class_002/zz-truncated.jpg",
                       std::vector<unsigned char>(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(whole.size() * 2 / 3)));
  const std::string device = "[decode_jpeg, {center_crop: {size: 24}}]";
  const Pulled host = pull(graph(dir / "images", "[decode_jpeg, {center_crop: {size: 24}}]", "[]", ", on_error: skip"));
  const Pulled dev = pull(graph(dir / "images", "[]", device, ", on_error: skip"));
  CHECK(dev.ids == host.ids);
  CHECK(dev.ids.size() == 40);  // 20 good files, 2 epochs
  CHECK(dev.stats.skipped == 4);  // two bad files, each epoch
  CHECK(compare_u8(host, dev).first == 0);  // a plain window: no resampling, the same pixels
  std::string message;
  try {
    pull(graph(dir / "images", "[]", device));
  } catch (const StageError& e) {
    message = e.what();
  }
  CAPTURE(message);
  CHECK(message.find("zz-") != std::string::npos);
  CHECK(message.find("read") != std::string::npos);
}

TEST_CASE("graphs/images-gpu.yaml as it ships plans a ragged batch and runs on the host stand-in") {
  fgtest::TempDir dir("images-gpu-yaml");
  jittered_images(dir / "images", 12, 64, 48);
  const PipelineSpec spec = load_pipeline(std::string(FEEDGRAPH_SOURCE_DIR) + "/graphs/images-gpu.yaml",
                                          {"dataset.path=" + (dir / "images"), "device=host", "epochs=1",
                                           "batch_size=4", "device_transforms[1].random_resized_crop.size=32"});
  const Plan p = plan(spec);
  CHECK(p.ragged);
  CHECK(p.layout == SampleLayout{{3, 32, 32}, DType::f32});
  CHECK(p.shape.device_buffers == 5);  // a buffer for each of the three lanes' batches, one copied into, one held
  Pipeline pipeline(spec);
  const RunStats stats = pipeline.run();
  CHECK(stats.samples == 12);  // verify: true in the file, so each batch's checksum was compared too
  // Over a budget, the error says where the buffer count it did not set came from.
  PipelineSpec tight = spec;
  tight.memory_budget = 1024;
  CHECK_THROWS_WITH_AS(plan(tight), doctest::Contains("buffers.device (5 of "), Error);
  CHECK_THROWS_WITH_AS(plan(tight), doctest::Contains("decode_jpeg's lanes + 2)"), Error);
  tight.buffers.device = 2;
  CHECK_THROWS_WITH_AS(plan(tight), doctest::Contains("buffers.device or batch_size"), Error);
}

TEST_CASE("the marker check tells the files the decode engines and the SMs read from device memory from the rest") {
  const auto rgb = imgtest::textured_rgb(48, 32);
  auto encode = [&](int subsampling, int flags) {
    tjhandle tj = tjInitCompress();
    REQUIRE(tj != nullptr);
    unsigned char* jpeg = nullptr;
    unsigned long size = 0;
    REQUIRE(tjCompress2(tj, rgb.data(), 48, 0, 32, TJPF_RGB, &jpeg, &size, subsampling, 85, flags) == 0);
    const std::vector<unsigned char> file(jpeg, jpeg + size);
    tjFree(jpeg);
    tjDestroy(tj);
    return file;
  };
  auto input = [](const std::vector<unsigned char>& file) { return detail::jpeg_device_input(std::as_bytes(std::span(file))); };
  for (const int subsampling : {TJSAMP_420, TJSAMP_422, TJSAMP_444, TJSAMP_GRAY}) {
    CAPTURE(subsampling);
    CHECK(input(encode(subsampling, 0)).engines);
    CHECK(input(encode(subsampling, 0)).sms);
  }
  CHECK_FALSE(input(encode(TJSAMP_411, 0)).engines);  // 4:1:1: luma sampled 4x1, which the engines refuse
  CHECK(input(encode(TJSAMP_411, 0)).sms);
  const auto progressive = input(encode(TJSAMP_420, TJFLAG_PROGRESSIVE));  // several scans: from the host
  CHECK_FALSE(progressive.engines);
  CHECK_FALSE(progressive.sms);
  // A restart interval (a DRI segment after the start of image): the engines take it, the SMs' device-input
  // decoder does not; an interval of 0 turns restarts off.
  auto with_restarts = [&](unsigned char interval) {
    auto file = encode(TJSAMP_420, 0);
    const std::vector<unsigned char> dri = {0xFF, 0xDD, 0x00, 0x04, 0x00, interval};
    file.insert(file.begin() + 2, dri.begin(), dri.end());
    return input(file);
  };
  CHECK(with_restarts(16).engines);
  CHECK_FALSE(with_restarts(16).sms);
  CHECK(with_restarts(0).sms);
  const auto whole = encode(TJSAMP_420, 0);
  const auto cut = detail::jpeg_device_input(std::as_bytes(std::span(whole.data(), 20)));  // cut before its frame
  CHECK_FALSE(cut.engines);
  CHECK_FALSE(cut.sms);
  const std::vector<unsigned char> not_jpeg = {'n', 'o', 't', ' ', 'j', 'p', 'e', 'g'};
  CHECK_FALSE(input(not_jpeg).engines);
  CHECK_FALSE(input(not_jpeg).sms);
}

TEST_CASE("what the device cannot run after decode_jpeg is a ConfigError at its key") {
  fgtest::TempDir dir("device-decode-config");
  jittered_images(dir / "images", 4, 32, 32);
  auto refused = [&](const std::string& transforms, const std::string& device, const std::string& says) {
    CAPTURE(device);
    CHECK_THROWS_WITH_AS(plan(parse_pipeline(graph(dir / "images", transforms, device), "c.yaml")), doctest::Contains(says.c_str()),
                         ConfigError);
  };
  refused("[random_flip]", "[decode_jpeg, {center_crop: {size: 8}}]", "leave transforms empty");
  refused("[]", "[decode_jpeg]", "still vary in size");
  refused("[]", "[decode_jpeg, random_flip]", "still vary in size");
  refused("[]", "[decode_jpeg, {resize: {size: 16}}, {center_crop: {size: 8}}]", "resample twice");
  refused("[]", "[decode_jpeg, {center_crop: {size: 8}}, to_chw, random_flip]", "right after decode_jpeg");
  refused("[]", "[{center_crop: {size: 8}}, decode_jpeg]", "decode_jpeg comes first");
  refused("[decode_jpeg, {center_crop: {size: 8}}]", "[decode_jpeg]", "leave transforms empty");
  refused("[{decode_jpeg: {backend: hardware}}, {center_crop: {size: 8}}]", "[]", "backend");
  refused("[{decode_jpeg: {hardware_load: 0.5}}, {center_crop: {size: 8}}]", "[]", "hardware_load");
  refused("[]", "[{decode_jpeg: {backend: cuda, hardware_load: 0.5}}, {center_crop: {size: 8}}]",
          "needs backend auto or hardware, not cuda");
  refused("[]", "[{decode_jpeg: {hardware_load: 1.5}}, {center_crop: {size: 8}}]", "hardware_load");
  refused("[{decode_jpeg: {lanes: 2}}, {center_crop: {size: 8}}]", "[]", "lanes sets nvJPEG's decoder");
  refused("[]", "[{decode_jpeg: {lanes: 0}}, {center_crop: {size: 8}}]", "lanes");
  refused("[]", "[{decode_jpeg: {lanes: 9}}, {center_crop: {size: 8}}]", "lanes");
  refused("[{decode_jpeg: {hardware_threads: 2}}, {center_crop: {size: 8}}]", "[]", "hardware_threads sets nvJPEG's decoder");
  refused("[]", "[{decode_jpeg: {backend: cuda, hardware_threads: 2}}, {center_crop: {size: 8}}]",
          "needs backend auto or hardware, not cuda");
  // The backend, hardware_load, lanes and hardware_threads options are the device's, and accepted there.
  CHECK(plan(parse_pipeline(graph(dir / "images", "[]", "[{decode_jpeg: {backend: hybrid}}, {center_crop: {size: 8}}]"),
                            "c.yaml")).ragged);
  CHECK(plan(parse_pipeline(graph(dir / "images", "[]",
                                  "[{decode_jpeg: {backend: auto, hardware_load: 0.75, lanes: 2, hardware_threads: 3}}, {center_crop: {size: 8}}]"),
                            "c.yaml")).ragged);
}

}  // TEST_SUITE
