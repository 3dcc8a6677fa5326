// After decode on a real GPU: the fused pass (crop or resize, flip, to_chw, normalize through each image's
// PixelMap) against its host reference, byte for byte, and the ragged batch's checksum against the host's.
// Label `gpu`.
#include <cuda_runtime_api.h>
#include <doctest/doctest.h>

#include <cstring>
#include <random>
#include <vector>

#include "backend/device_transform.hpp"
#include "feedgraph/checksum.hpp"

using namespace feedgraph;
using namespace feedgraph::detail;

namespace {

template <class T>
T* to_device(const std::vector<T>& v) {
  T* p = nullptr;
  REQUIRE(cudaMalloc(reinterpret_cast<void**>(&p), std::max<std::size_t>(1, v.size() * sizeof(T))) == cudaSuccess);
  REQUIRE(cudaMemcpy(p, v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice) == cudaSuccess);
  return p;
}

/// A random window of an in-size axis, resampled to `out` (sometimes a crop of a larger resize).
ResampleAxis random_axis(std::mt19937_64& rng, std::int64_t in, std::int64_t out) {
  const std::int64_t size = std::uniform_int_distribution<std::int64_t>(1, in)(rng);
  const std::int64_t start = std::uniform_int_distribution<std::int64_t>(0, in - size)(rng);
  const std::int64_t full = out + std::uniform_int_distribution<std::int64_t>(0, 1)(rng) * out / 2;
  return {start, size, full, (full - out) / 2, out};
}

}  // namespace

TEST_SUITE("gpu") {

TEST_CASE("cuda: the fused pass after decode equals its host reference byte for byte in uint8 HWC and float32 CHW") {
  std::mt19937_64 rng(19);
  // 1 and 3 channels (the kernel is a template of them); rows narrower than a warp's multiple, and wider
  // than a block's threads, which then stride over them.
  for (const std::int64_t channels : {3, 1})
    for (const auto& [height, width] : {std::pair<std::int64_t, std::int64_t>{29, 37}, {7, 300}})
      for (const bool normalize : {false, true}) {
        CAPTURE(channels);
        CAPTURE(width);
        CAPTURE(normalize);
        DeviceTransform t;
        t.channels = channels;
        t.height = height;
        t.width = width;
        t.in = SampleLayout{{height, width, channels}, DType::u8};
        t.out = t.in;
        if (normalize) {
          t.to_chw = true;
          t.mean = {123.7f, 116.3f, 103.5f};
          t.inv_std = {1 / 58.4f, 1 / 57.1f, 1 / 57.4f};
          t.mean.resize(static_cast<std::size_t>(channels));
          t.inv_std.resize(static_cast<std::size_t>(channels));
          t.out = SampleLayout{{channels, height, width}, DType::f32};
        }
        const int count = 24;
        std::vector<std::vector<std::uint8_t>> pixels(count);
        std::vector<DecodedImage> images(count);
        std::vector<std::uint8_t*> on_device(count);
        std::vector<std::byte> expected(static_cast<std::size_t>(count) * t.out.bytes());
        for (int k = 0; k < count; ++k) {
          const std::int64_t h = std::uniform_int_distribution<std::int64_t>(1, 90)(rng);
          const std::int64_t w = std::uniform_int_distribution<std::int64_t>(1, 400)(rng);
          pixels[k].resize(static_cast<std::size_t>(h * w * channels));
          for (auto& v : pixels[k]) v = static_cast<std::uint8_t>(rng());
          const PixelMap map{random_axis(rng, h, t.height), random_axis(rng, w, t.width), (rng() & 1) != 0};
          apply_decoded_host(t, pixels[k].data(), h, w, map, expected.data() + static_cast<std::size_t>(k) * t.out.bytes());
          on_device[k] = to_device(pixels[k]);
          images[k] = {on_device[k], h, w, map};
        }
        DecodedImage* device_images = to_device(images);
        std::byte* out = nullptr;
        REQUIRE(cudaMalloc(reinterpret_cast<void**>(&out), expected.size()) == cudaSuccess);
        enqueue_decoded_transform(t, device_images, count, out, nullptr);
        std::vector<std::byte> got(expected.size());
        REQUIRE(cudaMemcpy(got.data(), out, got.size(), cudaMemcpyDeviceToHost) == cudaSuccess);
        CHECK(std::memcmp(got.data(), expected.data(), got.size()) == 0);
        for (auto* p : on_device) cudaFree(p);
        cudaFree(device_images);
        cudaFree(out);
      }
}

TEST_CASE("cuda: a ragged batch's checksum on the device equals the host's and moves with one changed byte") {
  std::mt19937_64 rng(20);
  std::vector<EncodedSample> samples;
  std::vector<std::byte> packed;
  std::uint64_t offset = 0, expected = 0;
  for (int k = 0; k < 37; ++k) {
    const std::uint64_t bytes = std::uniform_int_distribution<std::uint64_t>(1, 5000)(rng);
    packed.resize(next_encoded_offset(offset, bytes), std::byte{0xEE});  // padding: not summed
    for (std::uint64_t i = 0; i < bytes; ++i) packed[offset + i] = static_cast<std::byte>(rng());
    samples.push_back({offset, bytes, 0, 0, {}});
    expected += words_checksum({packed.data() + offset, bytes}, offset / 8);
    offset = next_encoded_offset(offset, bytes);
  }
  auto device_sum = [&](const std::vector<std::byte>& data) {
    std::byte* d = to_device(data);
    EncodedSample* s = to_device(samples);
    std::uint64_t* sum = to_device(std::vector<std::uint64_t>{0});
    enqueue_ragged_checksum(d, s, static_cast<std::int64_t>(samples.size()), sum, nullptr);
    std::uint64_t got = 0;
    REQUIRE(cudaMemcpy(&got, sum, 8, cudaMemcpyDeviceToHost) == cudaSuccess);
    cudaFree(d), cudaFree(s), cudaFree(sum);
    return got;
  };
  CHECK(device_sum(packed) == expected);
  std::vector<std::byte> changed = packed;
  changed[samples[5].offset + samples[5].bytes - 1] ^= std::byte{1};  // the last byte of a partial word
  CHECK(device_sum(changed) != expected);
}

}  // TEST_SUITE
