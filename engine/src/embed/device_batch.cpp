#include "feedgraph/device_batch.hpp"

#include "graph/pull_channel.hpp"

namespace feedgraph {

DeviceBatch& DeviceBatch::operator=(DeviceBatch&& other) noexcept {
  if (this != &other) {
    release();
    f_ = std::exchange(other.f_, {});
  }
  return *this;
}

DeviceBatch::~DeviceBatch() { release(); }

DeviceBatchView DeviceBatch::view() const {
  DeviceBatchView v;
  if (!f_.layout) return v;
  v.data = f_.data;
  v.bytes = f_.bytes;
  v.samples = f_.samples;
  v.layout = *f_.layout;
  v.labels = f_.labels;
  v.host_labels = f_.host_labels;
  v.sample_ids = f_.sample_ids;
  v.epoch = f_.epoch;
  v.index = f_.index;
  v.ticket = f_.ticket;
  return v;
}

void DeviceBatch::release(CUstream_st* stream) noexcept {
  // Whatever happens in the channel, this batch no longer owns the buffer.
  const Fields f = std::exchange(f_, {});
  if (f.channel) f.channel->release(f.slot, f.generation, stream);
}

void DeviceBatch::release() noexcept { release(f_.stream); }

}  // namespace feedgraph
