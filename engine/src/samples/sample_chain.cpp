#include "samples/sample_chain.hpp"

#include <cstring>

#include "feedgraph/errors.hpp"
#include "samples/sample_buffer.hpp"

namespace feedgraph::detail {

std::span<std::byte> BatchSlotOut::allocate(const SampleLayout& layout) {
  if (layout != layout_) {
    throw Error("a " + layout.describe() + " sample where the batch holds " + layout_.describe() +
                ": every sample must reach its batch with the same layout (end the transforms with a crop or a "
                "resize to a fixed size)");
  }
  used_ = true;
  return slot_;
}

namespace {

/// An in-place transform's output: the input's own memory.
class InPlaceOut final : public SampleOut {
 public:
  InPlaceOut(std::span<std::byte> memory, const std::string& name) : memory_(memory), name_(name) {}
  std::span<std::byte> allocate(const SampleLayout& layout) override {
    if (layout.bytes() != memory_.size()) {
      throw Error("transform " + name_ + " works in place but asked for " + std::to_string(layout.bytes()) +
                  " bytes of output for a " + std::to_string(memory_.size()) + "-byte sample");
    }
    return memory_;
  }

 private:
  std::span<std::byte> memory_;
  const std::string& name_;
};

}  // namespace

SampleChain::SampleChain(const std::vector<std::unique_ptr<Transform>>* transforms,
                         const std::vector<StageSpec>* specs, const SampleLayout& source)
    : transforms_(transforms), specs_(specs), batch_(source) {
  for (const auto& t : *transforms_) {
    batch_ = t->output(batch_);
    if (!t->in_place()) direct_ = false;
  }
  direct_ = direct_ && source.fixed() && batch_ == source;
}

void SampleChain::run(std::span<std::byte> sample, const SampleLayout& layout, std::span<std::byte> slot,
                      const SampleContext& ctx) const {
  // Per worker thread, grown to the largest intermediate sample and then reused: two, so that a transform
  // reads one while it writes the other.
  thread_local SampleBuffer scratch[2];
  int next = 0;
  std::span<std::byte> current = sample;
  const SampleLayout* current_layout = &layout;
  const std::size_t n = empty() ? 0 : transforms_->size();
  for (std::size_t i = 0; i < n; ++i) {
    const Transform& t = *(*transforms_)[i];
    const SampleView in{current, *current_layout};
    if (t.in_place()) {
      InPlaceOut out(current, (*specs_)[i].name);
      t.apply(in, out, ctx);
    } else if (i + 1 == n) {
      BatchSlotOut out(slot, batch_);
      t.apply(in, out, ctx);
      if (!out.used()) throw Error("transform " + (*specs_)[i].name + " produced no output");
      return;
    } else {
      SampleBuffer& buffer = scratch[next];
      next ^= 1;
      t.apply(in, buffer, ctx);
      current = buffer.bytes();
      current_layout = &buffer.layout();
    }
  }
  if (*current_layout != batch_) {
    BatchSlotOut check(slot, batch_);
    (void)check.allocate(*current_layout);  // throws, naming both layouts
  }
  if (current.data() != slot.data()) std::memcpy(slot.data(), current.data(), slot.size());
}

}  // namespace feedgraph::detail
