// What a PipelineSpec derives from its settings, and its serial twin (DESIGN §1).
#include "feedgraph/spec.hpp"

namespace feedgraph {

bool PipelineSpec::batches_from_cache() const {
  return data.cache && transforms.empty() && !data.shuffle && !data.shard.automatic && data.shard.count == 1;
}

int PipelineSpec::pinned_slots() const {
  if (!transfer.pinned || transfer.direct || batches_from_cache()) return 0;
  // One slot per pin worker being filled, plus the one the copy engine is reading.
  return buffers.pinned > 0 ? buffers.pinned : concurrency.pin + 1;
}

int PipelineSpec::device_buffers() const {
  // Double buffering: the copy fills one while the kernel reads the other.
  return buffers.device > 0 ? buffers.device : 2;
}

std::vector<std::string> PipelineSpec::auto_keys() const {
  std::vector<std::string> keys;
  if (concurrency.read == kAuto) keys.emplace_back("concurrency.read");
  if (concurrency.transform == kAuto) keys.emplace_back("concurrency.transform");
  if (concurrency.pin == kAuto) keys.emplace_back("concurrency.pin");
  if (prefetch == kAuto) keys.emplace_back("prefetch");
  return keys;
}

std::string PipelineSpec::variant() const {
  bool serial = concurrency.read == 1 && concurrency.transform == 1 && concurrency.pin == 1 && prefetch == 1 &&
                !transfer.pinned && !transfer.non_blocking && !transfer.copy_stream;
  return serial ? "serial" : "concurrent";
}

PipelineSpec serial_twin(const PipelineSpec& spec) {
  // Derived, never written twice: everything but the overlap settings is the same graph, and the stage
  // options are shared, not copied, so both variants build identical stages.
  PipelineSpec twin = spec;
  twin.concurrency = ConcurrencySpec{.read = 1, .transform = 1, .pin = 1};
  twin.prefetch = 1;
  twin.buffers = BufferSpec{.pinned = 1, .device = 1};
  twin.transfer = TransferSpec{.pinned = false, .non_blocking = false, .copy_stream = false, .direct = false};
  return twin;
}

}  // namespace feedgraph
