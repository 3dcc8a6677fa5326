#include "feedgraph/device_batch.hpp"

#include <algorithm>

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

void DeviceBatch::wait_on(CUstream_st* stream) {
  if (!f_.channel) return;
  if (std::find(f_.used_on.begin(), f_.used_on.end(), stream) != f_.used_on.end()) return;
  if (!f_.stream_later && stream == f_.stream) return;
  f_.channel->wait_on(f_.slot, stream);
  f_.used_on.push_back(stream);
}

void DeviceBatch::release(std::span<CUstream_st* const> streams) noexcept {
  // Whatever happens in the channel, this batch no longer owns the buffer.
  const Fields f = std::exchange(f_, {});
  if (f.channel) f.channel->release(f.slot, f.generation, streams);
}

void DeviceBatch::release(CUstream_st* stream) noexcept { release(std::span<CUstream_st* const>(&stream, 1)); }

void DeviceBatch::release() noexcept {
  // The common case, a batch used only on the stream it was pulled on, allocates nothing.
  if (f_.used_on.empty()) {
    if (f_.stream_later) release(std::span<CUstream_st* const>{});
    else release(f_.stream);
    return;
  }
  if (!f_.stream_later) {
    try {
      f_.used_on.push_back(f_.stream);
    } catch (...) {
      // Out of memory for one pointer: the pulling stream alone is still right when wait_on was never called.
      release(f_.stream);
      return;
    }
  }
  std::vector<CUstream_st*> streams = std::move(f_.used_on);
  release(streams);
}

}  // namespace feedgraph
