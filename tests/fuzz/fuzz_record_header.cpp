// libFuzzer target for record files (*.rec): the header decoded and checked against the file's size.
// Its entry, feedgraph::fuzz::record_header (fuzz_entries.hpp), says what it checks; the corpus replay runs it too.
#include "fuzz_entries.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return feedgraph::fuzz::run_or_abort(&feedgraph::fuzz::record_header, data, size);
}
