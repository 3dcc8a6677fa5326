// The fuzz targets' inputs as ordinary tests: every file of tests/fuzz/corpus/<target>/ (the seeds) and
// tests/fuzz/regressions/<target>/ (each input that once broke a parser) goes through the target's entry
// (fuzz_entries.hpp), so a parser bug found by fuzzing stays fixed in every build, the sanitizer builds
// included, without libFuzzer.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz_entries.hpp"

namespace {

namespace fs = std::filesystem;

const fs::path kFuzzDir = fs::path(FEEDGRAPH_SOURCE_DIR) / "tests" / "fuzz";

/// The files of `folder`, sorted; none when it does not exist.
std::vector<fs::path> files_in(const fs::path& folder) {
  std::vector<fs::path> files;
  if (!fs::is_directory(folder)) return files;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<std::uint8_t> bytes_of(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  REQUIRE_MESSAGE(in, "cannot open " << file);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct Replay {
  int files = 0;
  int accepted = 0;
  int rejected = 0;
};

/// Feeds every file of `folder` to `target`'s entry; a ContractViolation fails the test, naming the file.
Replay replay(const std::string& target, const fs::path& folder) {
  const feedgraph::fuzz::Entry entry = feedgraph::fuzz::entry_named(target);
  REQUIRE_MESSAGE(static_cast<bool>(entry), "no fuzz entry named " << target);
  Replay r;
  for (const fs::path& file : files_in(folder)) {
    INFO("input: " << file.string());
    const std::vector<std::uint8_t> input = bytes_of(file);
    ++r.files;
    try {
      const feedgraph::fuzz::Outcome outcome = entry(input);
      ++(outcome.accepted ? r.accepted : r.rejected);
      if (!outcome.accepted) CHECK_MESSAGE(!outcome.message.empty(), "a rejection says why");
    } catch (const feedgraph::fuzz::ContractViolation& e) {
      FAIL_CHECK(e.what());
    }
  }
  return r;
}

void replay_target(const std::string& target) {
  const Replay seeds = replay(target, kFuzzDir / "corpus" / target);
  // Seeds of both kinds, so that a target that rejects (or accepts) everything is noticed: its fuzzing would
  // reach none of the code behind the first check.
  CHECK(seeds.files >= 10);
  CHECK(seeds.accepted >= 3);
  CHECK(seeds.rejected >= 3);
  replay(target, kFuzzDir / "regressions" / target);
}

}  // namespace

TEST_SUITE("fuzz") {
  TEST_CASE("every pipeline fuzz input keeps the parser's contract: a spec and a plan that add up / or an Error") {
    replay_target("pipeline");
  }
  TEST_CASE("every record file fuzz input keeps the decoder's contract: a header that fits the file / or an Error") {
    replay_target("record_header");
  }
  TEST_CASE("every .npy fuzz input keeps the parser's contract: an array that fills the file / or an Error") {
    replay_target("npy_header");
  }
  TEST_CASE("every JPEG fuzz input keeps the host check's contract: a size and an end after the last scan / or an Error") {
    replay_target("jpeg_check");
  }
}
