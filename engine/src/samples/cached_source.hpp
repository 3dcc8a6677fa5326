#pragma once
// `dataset.cache`: the whole dataset read once into memory, standing in for its source.
//
// Samples of one fixed layout are kept in one block, in id order, so that a run of ids is a contiguous batch
// the copy can read straight out of it. Samples that vary (encoded files) are kept one allocation each, at
// their own size and layout: the cache of a JPEG folder is the size of the files, not of the largest one
// times their number. Labels are cached too: a source may read them from storage (records does). Reading from the cache is a memcpy (or, for batches that go to the link straight from
// it, nothing at all). A sample that was bad when the cache was filled stays bad: reading it throws the same
// DataError each time, so `on_error: skip` leaves it out of every epoch, as it would without the cache.
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "feedgraph/errors.hpp"
#include "feedgraph/stage.hpp"

namespace feedgraph::detail {

/// One sample of varying layout, held at its own size.
struct CachedSample {
  std::unique_ptr<std::byte[]> bytes;
  SampleLayout layout;
};

/// Collects one sample into a CachedSample: what a source writes while the cache is filled.
class CachedSampleOut final : public SampleOut {
 public:
  explicit CachedSampleOut(CachedSample& into) : into_(into) {}
  std::span<std::byte> allocate(const SampleLayout& layout) override {
    if (!layout.fixed()) throw Error("a source allocated a sample of varying layout " + layout.describe());
    into_.layout = layout;
    into_.bytes = std::make_unique_for_overwrite<std::byte[]>(layout.bytes());
    return {into_.bytes.get(), layout.bytes()};
  }

 private:
  CachedSample& into_;
};

class CachedSource final : public Source {
 public:
  /// Fixed layout: `memory` holds `source.size()` samples of `source.layout()`, in id order.
  CachedSource(const Source& source, std::shared_ptr<std::byte> memory, std::vector<std::int64_t> labels,
               std::map<std::int64_t, DataError> bad)
      : source_(source), layout_(source.layout()), memory_(std::move(memory)), labels_(std::move(labels)),
        bad_(std::move(bad)) {}
  /// Varying layout: `samples[id]` is sample id (empty where it was bad).
  CachedSource(const Source& source, std::vector<CachedSample> samples, std::vector<std::int64_t> labels,
               std::map<std::int64_t, DataError> bad)
      : source_(source), layout_(source.layout()), samples_(std::move(samples)), labels_(std::move(labels)),
        bad_(std::move(bad)) {}

  SampleLayout layout() const override { return layout_; }
  std::int64_t size() const override { return source_.size(); }
  std::uint64_t seed() const override { return source_.seed(); }
  std::size_t largest_sample_bytes() const override { return source_.largest_sample_bytes(); }
  std::uint64_t largest_batch_bytes(std::int64_t count) const override { return source_.largest_batch_bytes(count); }
  std::int64_t label(std::int64_t id) const override { return labels_[static_cast<std::size_t>(id)]; }
  std::string where(std::int64_t id) const override { return source_.where(id); }
  bool read_may_sleep() const override { return false; }  // memory only
  void read(std::int64_t id, SampleOut& out) const override {
    if (!bad_.empty()) {
      if (auto it = bad_.find(id); it != bad_.end()) throw it->second;
    }
    if (memory_) {
      const std::span<std::byte> dst = out.allocate(layout_);
      std::memcpy(dst.data(), sample(id), dst.size());
    } else {
      const CachedSample& s = samples_[static_cast<std::size_t>(id)];
      const std::span<std::byte> dst = out.allocate(s.layout);
      std::memcpy(dst.data(), s.bytes.get(), dst.size());
    }
  }

  /// Fixed layout only: sample `id`'s bytes inside the block.
  const std::byte* sample(std::int64_t id) const { return memory_.get() + static_cast<std::size_t>(id) * layout_.bytes(); }

 private:
  const Source& source_;
  SampleLayout layout_;
  std::shared_ptr<std::byte> memory_;
  std::vector<CachedSample> samples_;
  std::vector<std::int64_t> labels_;  // every sample's, by id
  std::map<std::int64_t, DataError> bad_;
};

}  // namespace feedgraph::detail
