#pragma once
// Helpers for the image tests: a temporary folder that cleans itself up, JPEG encoding of hand-made pixels, and
// running one transform on one sample outside the graph.
#include <doctest/doctest.h>
#include <turbojpeg.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "../temp_dir.hpp"
#include "feedgraph/feedgraph.hpp"
#include "samples/sample_buffer.hpp"
#include "stages/registry.hpp"

namespace imgtest {

namespace fs = std::filesystem;

using fgtest::TempDir;

inline void write_bytes(const fs::path& path, const std::vector<unsigned char>& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(f.good());
}

inline std::vector<unsigned char> read_bytes(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

/// A smooth RGB test image (JPEG keeps smooth images nearly exact), HWC.
inline std::vector<unsigned char> smooth_rgb(int width, int height) {
  std::vector<unsigned char> rgb(static_cast<std::size_t>(width * height * 3));
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      unsigned char* p = &rgb[static_cast<std::size_t>((y * width + x) * 3)];
      p[0] = static_cast<unsigned char>(40 + 4 * x);
      p[1] = static_cast<unsigned char>(60 + 5 * y);
      p[2] = static_cast<unsigned char>(200 - 2 * x - 2 * y);
    }
  return rgb;
}

/// A smooth image with a fine texture on it: its scan data, not its header, is most of the file, so cutting the
/// file in half cuts the scan.
inline std::vector<unsigned char> textured_rgb(int width, int height) {
  auto rgb = smooth_rgb(width, height);
  std::uint32_t h = 12345;
  for (auto& v : rgb) {
    h = h * 1664525u + 1013904223u;
    v = static_cast<unsigned char>(std::min(255, v + static_cast<int>(h >> 27)));
  }
  return rgb;
}

/// `rgb` (width x height x 3) encoded as a JPEG file; `flags` are TurboJPEG's (TJFLAG_PROGRESSIVE: several scans).
inline std::vector<unsigned char> encode_jpeg(const std::vector<unsigned char>& rgb, int width, int height,
                                              int quality = 90, int subsampling = TJSAMP_420, int flags = 0) {
  tjhandle tj = tjInitCompress();
  REQUIRE(tj != nullptr);
  unsigned char* jpeg = nullptr;
  unsigned long size = 0;
  const int rc = tjCompress2(tj, rgb.data(), width, 0, height, TJPF_RGB, &jpeg, &size, subsampling, quality, flags);
  REQUIRE(rc == 0);
  std::vector<unsigned char> out(jpeg, jpeg + size);
  tjFree(jpeg);
  tjDestroy(tj);
  return out;
}

// The copies below skip empty inputs: an empty vector's data() may be null, and memcpy from null is
// undefined even for 0 bytes (UBSan's nonnull-attribute check stops the test there).
inline std::vector<std::byte> as_bytes(const std::vector<unsigned char>& v) {
  std::vector<std::byte> out(v.size());
  if (!v.empty()) std::memcpy(out.data(), v.data(), v.size());
  return out;
}

template <class T>
std::vector<std::byte> bytes_of(const std::vector<T>& v) {
  std::vector<std::byte> out(v.size() * sizeof(T));
  if (!out.empty()) std::memcpy(out.data(), v.data(), out.size());
  return out;
}

template <class T>
std::vector<T> values_of(std::span<const std::byte> bytes) {
  std::vector<T> out(bytes.size() / sizeof(T));
  if (!out.empty()) std::memcpy(out.data(), bytes.data(), out.size() * sizeof(T));
  return out;
}

/// An in-place transform's output: the sample's own memory.
class MemoryOut final : public feedgraph::SampleOut {
 public:
  explicit MemoryOut(std::span<std::byte> memory) : memory_(memory) {}
  std::span<std::byte> allocate(const feedgraph::SampleLayout& layout) override {
    REQUIRE(layout.bytes() == memory_.size());
    return memory_;
  }

 private:
  std::span<std::byte> memory_;
};

/// A transform built the way the engine builds it: `yaml` is its options block, `declared` the layout it is
/// told it receives.
inline std::unique_ptr<feedgraph::Transform> make_transform(const std::string& name, const std::string& yaml,
                                                            const feedgraph::SampleLayout& declared) {
  feedgraph::StageSpec spec{name, feedgraph::StageOptions::parse(yaml, "test.yaml")};
  return feedgraph::detail::build_transform(spec, {declared, 1});
}

/// One sample after one transform.
struct Result {
  feedgraph::SampleLayout layout;
  std::vector<std::byte> bytes;
  template <class T>
  std::vector<T> values() const {
    return values_of<T>(bytes);
  }
};

inline Result apply(const feedgraph::Transform& t, const feedgraph::SampleLayout& layout, std::vector<std::byte> bytes,
                    const feedgraph::SampleContext& ctx = {}) {
  REQUIRE(bytes.size() == layout.bytes());
  if (t.in_place()) {
    MemoryOut out(bytes);
    t.apply({bytes, layout}, out, ctx);
    return {layout, std::move(bytes)};
  }
  feedgraph::detail::SampleBuffer out;
  t.apply({bytes, layout}, out, ctx);
  const auto b = out.bytes();
  return {out.layout(), std::vector<std::byte>(b.begin(), b.end())};
}

/// Build `name` for `layout` and apply it to `bytes`.
inline Result apply(const std::string& name, const std::string& yaml, const feedgraph::SampleLayout& layout,
                    std::vector<std::byte> bytes, const feedgraph::SampleContext& ctx = {}) {
  return apply(*make_transform(name, yaml, layout), layout, std::move(bytes), ctx);
}

}  // namespace imgtest
