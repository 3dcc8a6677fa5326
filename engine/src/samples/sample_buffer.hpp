#pragma once
// Where samples live between stages when they cannot be written straight into their batch: a buffer that
// grows to the largest sample it has held and is then reused, so steady state allocates nothing.
#include <cstring>
#include <memory>
#include <span>

#include "feedgraph/errors.hpp"
#include "feedgraph/stage.hpp"

namespace feedgraph::detail {

/// One sample's bytes and actual layout, in memory that is reused from sample to sample.
class SampleBuffer final : public SampleOut {
 public:
  std::span<std::byte> allocate(const SampleLayout& layout) override {
    if (!layout.fixed()) throw Error("a stage allocated a sample of varying layout " + layout.describe());
    const std::size_t bytes = layout.bytes();
    if (bytes > capacity_) {
      // Uninitialized: the stage is about to write every byte. Grown with headroom so that a run of
      // slightly larger samples does not reallocate each time.
      capacity_ = std::max(bytes, capacity_ + capacity_ / 2);
      storage_ = std::make_unique_for_overwrite<std::byte[]>(capacity_);
    }
    layout_ = layout;
    size_ = bytes;
    return {storage_.get(), bytes};
  }
  std::span<std::byte> bytes() { return {storage_.get(), size_}; }
  std::span<const std::byte> bytes() const { return {storage_.get(), size_}; }
  const SampleLayout& layout() const { return layout_; }

 private:
  std::unique_ptr<std::byte[]> storage_;
  std::size_t capacity_ = 0;
  std::size_t size_ = 0;
  SampleLayout layout_;
};

/// A sample's place in its batch: the layout must be the batch's.
class BatchSlotOut final : public SampleOut {
 public:
  BatchSlotOut(std::span<std::byte> slot, const SampleLayout& layout) : slot_(slot), layout_(layout) {}
  std::span<std::byte> allocate(const SampleLayout& layout) override;
  bool used() const { return used_; }

 private:
  std::span<std::byte> slot_;
  const SampleLayout& layout_;
  bool used_ = false;
};

}  // namespace feedgraph::detail
