#include "feedgraph/device_batch.hpp"

#include <utility>

#include "embed/pull_channel.hpp"

namespace feedgraph {

DeviceBatch::DeviceBatch(DeviceBatch&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), bytes_(std::exchange(other.bytes_, 0)),
      samples_(std::exchange(other.samples_, 0)), dtype_(other.dtype_), layout_(std::exchange(other.layout_, nullptr)),
      shape_(std::exchange(other.shape_, {})), sample_ids_(std::exchange(other.sample_ids_, {})),
      host_labels_(std::exchange(other.host_labels_, {})), labels_(std::exchange(other.labels_, nullptr)),
      epoch_(other.epoch_), index_(other.index_), ticket_(other.ticket_), channel_(std::move(other.channel_)),
      slot_(std::exchange(other.slot_, -1)), generation_(other.generation_), stream_(other.stream_) {}

DeviceBatch& DeviceBatch::operator=(DeviceBatch&& other) noexcept {
  if (this != &other) {
    release();
    data_ = std::exchange(other.data_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
    samples_ = std::exchange(other.samples_, 0);
    dtype_ = other.dtype_;
    layout_ = std::exchange(other.layout_, nullptr);
    shape_ = std::exchange(other.shape_, {});
    sample_ids_ = std::exchange(other.sample_ids_, {});
    host_labels_ = std::exchange(other.host_labels_, {});
    labels_ = std::exchange(other.labels_, nullptr);
    epoch_ = other.epoch_;
    index_ = other.index_;
    ticket_ = other.ticket_;
    channel_ = std::move(other.channel_);
    slot_ = std::exchange(other.slot_, -1);
    generation_ = other.generation_;
    stream_ = other.stream_;
  }
  return *this;
}

DeviceBatch::~DeviceBatch() { release(); }

void DeviceBatch::release(CUstream_st* stream) noexcept {
  if (channel_) {
    // Moved out first: whatever happens below, this batch no longer owns the buffer.
    const auto channel = std::move(channel_);
    channel->release(slot_, generation_, stream);
  }
  data_ = nullptr;
  bytes_ = 0;
  samples_ = 0;
  layout_ = nullptr;
  shape_ = sample_ids_ = host_labels_ = {};
  labels_ = nullptr;
  slot_ = -1;
}

void DeviceBatch::release() noexcept { release(stream_); }

}  // namespace feedgraph
