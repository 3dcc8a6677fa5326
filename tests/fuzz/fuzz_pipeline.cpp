// libFuzzer target for pipeline files: parse_pipeline, serial_twin and, for a synthetic source, plan.
// Its entry, feedgraph::fuzz::pipeline (fuzz_entries.hpp), says what it checks; the corpus replay runs it too.
#include "fuzz_entries.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return feedgraph::fuzz::run_or_abort(&feedgraph::fuzz::pipeline, data, size);
}
