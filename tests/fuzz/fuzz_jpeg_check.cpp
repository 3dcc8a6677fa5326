// libFuzzer target for JPEG files: decode_jpeg's check on the host before a file crosses to be decoded on the
// device, the marks for the device's decoders, and a small accepted image decoded on the host. Its entry,
// feedgraph::fuzz::jpeg_check (fuzz_entries.hpp), says what it checks; the corpus replay runs it too.
#include "fuzz_entries.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return feedgraph::fuzz::run_or_abort(&feedgraph::fuzz::jpeg_check, data, size);
}
