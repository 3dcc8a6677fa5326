#pragma once
// `dataset.cache`: the whole dataset read once into one block of memory, standing in for its source.
//
// Reading from the cache is a memcpy (or, for batches that go to the link straight from it, nothing at
// all). A sample that was bad when the cache was filled stays bad: reading it throws the same DataError
// each time, so `on_error: skip` leaves it out of every epoch, as it would without the cache.
#include <cstring>
#include <map>
#include <memory>
#include <string>

#include "feedgraph/errors.hpp"
#include "feedgraph/stage.hpp"

namespace feedgraph::detail {

class CachedSource final : public Source {
 public:
  /// `memory` holds `source.size()` samples of `source.layout()`, in id order; `bad` the ones that failed.
  CachedSource(const Source& source, std::shared_ptr<std::byte> memory, std::map<std::int64_t, DataError> bad)
      : source_(source), layout_(source.layout()), memory_(std::move(memory)), bad_(std::move(bad)) {}

  SampleLayout layout() const override { return layout_; }
  std::int64_t size() const override { return source_.size(); }
  std::uint64_t seed() const override { return source_.seed(); }
  std::int64_t label(std::int64_t id) const override { return source_.label(id); }
  std::string where(std::int64_t id) const override { return source_.where(id); }
  void read(std::int64_t id, SampleOut& out) const override {
    if (!bad_.empty()) {
      if (auto it = bad_.find(id); it != bad_.end()) throw it->second;
    }
    const std::span<std::byte> dst = out.allocate(layout_);
    std::memcpy(dst.data(), sample(id), dst.size());
  }

  const std::byte* sample(std::int64_t id) const { return memory_.get() + static_cast<std::size_t>(id) * layout_.bytes(); }
  bool bad(std::int64_t id) const { return bad_.count(id) > 0; }

 private:
  const Source& source_;
  SampleLayout layout_;
  std::shared_ptr<std::byte> memory_;
  std::map<std::int64_t, DataError> bad_;
};

}  // namespace feedgraph::detail
