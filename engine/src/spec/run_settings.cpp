// RunSettings and GraphShape (feedgraph/settings.hpp): what a run may vary, and which nodes follow from it.
#include "feedgraph/settings.hpp"

#include "backend/device_transform.hpp"

namespace feedgraph {

RunSettings RunSettings::of(const PipelineSpec& spec) {
  RunSettings s;
  s.concurrency = spec.concurrency;
  s.prefetch = spec.prefetch;
  s.transfer = spec.transfer;
  s.buffers = spec.buffers;
  s.threads = spec.threads;
  s.memory_budget = spec.memory_budget;
  return s;
}

RunSettings RunSettings::serial() const {
  // Derived, never written twice: only the overlap settings change, so both variants run identical stages.
  RunSettings twin = *this;
  twin.concurrency = ConcurrencySpec{.read = 1, .transform = 1, .pin = 1};
  twin.prefetch = 1;
  twin.buffers = BufferSpec{.pinned = 1, .device = 1};
  twin.transfer = TransferSpec{.pinned = false, .non_blocking = false, .copy_stream = false, .direct = false};
  return twin;
}

std::string RunSettings::variant() const {
  const bool serial = concurrency.read == 1 && concurrency.transform == 1 && concurrency.pin == 1 && prefetch == 1 &&
                      !transfer.pinned && !transfer.non_blocking && !transfer.copy_stream;
  return serial ? "serial" : "concurrent";
}

std::vector<std::string> RunSettings::auto_keys() const {
  std::vector<std::string> keys;
  if (concurrency.read == kAuto) keys.emplace_back("concurrency.read");
  if (concurrency.transform == kAuto) keys.emplace_back("concurrency.transform");
  if (concurrency.pin == kAuto) keys.emplace_back("concurrency.pin");
  if (prefetch == kAuto) keys.emplace_back("prefetch");
  return keys;
}

GraphShape GraphShape::of(const PipelineSpec& spec, const RunSettings& settings) {
  GraphShape g;
  g.from_cache = spec.batches_from_cache();
  g.cache_pinned = g.from_cache && settings.transfer.pinned;
  g.direct = settings.transfer.pinned && settings.transfer.direct;
  g.pin_node = settings.transfer.pinned && !settings.transfer.direct && !g.from_cache;
  // One slot per pin worker being filled, plus the one the copy engine is reading.
  if (g.pin_node) g.pinned_slots = settings.buffers.pinned > 0 ? settings.buffers.pinned : settings.concurrency.pin + 1;
  // Double buffering: the copy fills one while the kernel reads the other. With decode_jpeg on the device each
  // lane decodes a batch that holds its buffer (the files it reads, the pixels it writes) until its compute is
  // done: two buffers would leave one lane decoding and the rest idle, so lanes + 2 (one being copied into, and
  // one a pulling loop holds while its step runs).
  const int lanes = detail::decode_lanes(spec);
  g.device_buffers = settings.buffers.device > 0 ? settings.buffers.device : lanes > 0 ? lanes + 2 : 2;
  return g;
}

}  // namespace feedgraph
