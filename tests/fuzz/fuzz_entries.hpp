#pragma once
// One entry per fuzz target: what the libFuzzer programs (fuzz_*.cpp, built with FEEDGRAPH_FUZZ) call for
// each input, and what the corpus replay (test_fuzz_corpus.cpp, in the ordinary test binary) calls for every
// file under tests/fuzz/corpus/<target>/ and tests/fuzz/regressions/<target>/, so that an input that once
// broke a parser stays a test.
//
// The contract an entry checks: the parser accepts the bytes, and what it returns keeps the invariants the
// rest of the engine relies on, or it throws a feedgraph::Error (ConfigError, DataError, ...). Any other
// exception, or a broken invariant, is a ContractViolation saying which. A crash, a hang or a sanitizer
// report is the runner's to see.
//
//   auto outcome = feedgraph::fuzz::npy_header(bytes);   // throws ContractViolation on a bug
//   if (!outcome.accepted) std::cout << outcome.message; // the Error's what()
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace feedgraph::fuzz {

/// A parser broke its contract. Deliberately not a feedgraph::Error, which is an accepted outcome.
class ContractViolation : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

/// What a parser made of one input.
struct Outcome {
  bool accepted = false;
  std::string message;  ///< the Error's what() when rejected
};

using Entry = Outcome (*)(std::span<const std::uint8_t> input);

/// A pipeline file: the bytes up to the first NUL are the YAML text, and every NUL-separated piece after it
/// is a `--set` override. parse_pipeline(), then serial_twin(), and when the source is `synthetic` (no files
/// to touch) plan(), which builds every stage from its options and sizes the memory.
Outcome pipeline(std::span<const std::uint8_t> input);

/// A record file's bytes, whole: its header decoded and checked against its size (records::decode_file), as
/// `source: records` opens a shard.
Outcome record_header(std::span<const std::uint8_t> input);

/// A .npy file's bytes, whole: its header parsed (npy::parse_header) and the array it describes checked
/// against the file's size (npy::sample_array), as `source: npy` opens a file.
Outcome npy_header(std::span<const std::uint8_t> input);

/// A JPEG file's bytes, whole: decode_jpeg's check on the host before the file crosses to be decoded on the
/// device (inspect: the header, and an end-of-image marker after the last scan, checked against a plain
/// reference), the marks for the device's decoders (jpeg_device_input, on any bytes), and a small accepted
/// image decoded on the host to its header's size or refused as a DataError.
Outcome jpeg_check(std::span<const std::uint8_t> input);

/// The entry named `target` ("pipeline", "record_header", "npy_header", "jpeg_check"), or nullptr.
Entry entry_named(std::string_view target);

/// libFuzzer's side: runs `entry` on the input; a ContractViolation is printed and aborts, so that libFuzzer
/// keeps the input as a crash.
int run_or_abort(Entry entry, const std::uint8_t* data, std::size_t size);

}  // namespace feedgraph::fuzz
