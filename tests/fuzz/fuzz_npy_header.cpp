// libFuzzer target for .npy files: the header parsed, and the array it describes checked against the file's size.
// Its entry, feedgraph::fuzz::npy_header (fuzz_entries.hpp), says what it checks; the corpus replay runs it too.
#include "fuzz_entries.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return feedgraph::fuzz::run_or_abort(&feedgraph::fuzz::npy_header, data, size);
}
