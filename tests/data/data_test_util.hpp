#pragma once
// Helpers for the real-data suites: a scratch folder per test, sources built from options text, the bytes a
// synthetic sample must have, and the message of the error an action throws.
#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "../temp_dir.hpp"
#include "feedgraph/feedgraph.hpp"
#include "samples/sample_buffer.hpp"
#include "stages/registry.hpp"

namespace datatest {

namespace fs = std::filesystem;

using fgtest::TempDir;

/// A source built through the registry, as a pipeline would build `dataset: {source: NAME, ...options}`.
inline std::unique_ptr<feedgraph::Source> source(const std::string& name, const std::string& options_yaml) {
  return feedgraph::detail::build_source(
      feedgraph::StageSpec{name, feedgraph::StageOptions::parse(options_yaml, "test.yaml")}, {});
}

/// `{path: 'P'}` and friends: single-quoted so that a path is never read as YAML.
inline std::string quoted(const std::string& path) { return "'" + path + "'"; }

/// `source: synthetic` with this sample layout and seed.
inline std::unique_ptr<feedgraph::Source> synthetic(const feedgraph::SampleLayout& layout, std::uint64_t seed,
                                                    std::int64_t samples) {
  std::string shape;
  for (auto d : layout.shape) shape += (shape.empty() ? "" : ", ") + std::to_string(d);
  return source("synthetic", "{samples: " + std::to_string(samples) + ", sample: {shape: [" + shape + "], dtype: " +
                                 std::string(feedgraph::dtype_name(layout.dtype)) + "}, seed: " + std::to_string(seed) +
                                 "}");
}

/// Sample `id`'s bytes as `src` gives them.
inline std::vector<std::byte> read_sample(const feedgraph::Source& src, std::int64_t id) {
  feedgraph::detail::SampleBuffer buffer;
  src.read(id, buffer);
  auto bytes = buffer.bytes();
  return {bytes.begin(), bytes.end()};
}

/// Every sample of `got` equals the same id of `want`, and the two agree on size and layout.
inline void check_same_samples(const feedgraph::Source& got, const feedgraph::Source& want) {
  REQUIRE(got.size() == want.size());
  CHECK(got.layout() == want.layout());
  for (std::int64_t id = 0; id < got.size(); ++id) {
    if (read_sample(got, id) != read_sample(want, id)) {
      FAIL_CHECK("sample " << id << " differs from synthetic");
      return;
    }
  }
}

/// What the Error `action` throws says; fails the test when it throws nothing.
template <typename Action>
std::string error_of(Action&& action) {
  try {
    action();
  } catch (const feedgraph::Error& e) {
    return e.what();
  }
  FAIL("expected a feedgraph::Error");
  return {};
}

inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

inline void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// A .npy file of `header` (the dict text, as numpy would write it) and `data`, format `major`.0.
inline std::string npy_bytes(const std::string& dict, const std::string& data, int major = 1) {
  const std::size_t prefix = major == 1 ? 10 : 12;
  std::string header = dict;
  while ((prefix + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out("\x93NUMPY", 6);
  out += static_cast<char>(major);
  out += '\0';
  for (std::size_t i = 0; i < prefix - 8; ++i) out += static_cast<char>((header.size() >> (8 * i)) & 0xFF);
  return out + header + data;
}

/// The bytes of synthetic samples [first, last) of `layout` and `seed`, back to back.
inline std::string synthetic_bytes(const feedgraph::SampleLayout& layout, std::uint64_t seed, std::int64_t first,
                                   std::int64_t last, std::int64_t samples) {
  auto src = synthetic(layout, seed, samples);
  std::string out;
  for (std::int64_t id = first; id < last; ++id) {
    auto bytes = read_sample(*src, id);
    out.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
  return out;
}

/// Whether this process may read a file whatever its permissions (root): a chmod 000 test then proves nothing.
inline bool reads_anything() { return ::geteuid() == 0; }

}  // namespace datatest
