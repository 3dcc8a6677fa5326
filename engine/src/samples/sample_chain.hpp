#pragma once
// The host transforms of a pipeline, run on one sample at a time: from what the source produced to the
// sample's place in its batch, through per-thread scratch buffers where a transform changes the layout, and
// in place where it does not. The chain is checked once when the graph is assembled (every layout the
// transforms declare), and each sample's actual layout is checked as it goes.
#include <memory>
#include <span>
#include <vector>

#include "feedgraph/spec.hpp"
#include "feedgraph/stage.hpp"

namespace feedgraph::detail {

class SampleChain {
 public:
  SampleChain() = default;
  /// `transforms[i]` was built from `specs[i]` (for messages); `source` is the source's layout.
  SampleChain(const std::vector<std::unique_ptr<Transform>>* transforms, const std::vector<StageSpec>* specs,
              const SampleLayout& source);

  /// The layout that arrives in the batch (fixed; the assembly refuses a chain that leaves it varying).
  const SampleLayout& batch_layout() const { return batch_; }
  /// True when the source can write each sample straight into its batch place and every transform then
  /// works in place there: no staging copy at all.
  bool direct() const { return direct_; }
  bool empty() const { return transforms_ == nullptr || transforms_->empty(); }

  /// Runs every transform on `sample` (mutable: in-place transforms rewrite it) and leaves the result in
  /// `slot`, `batch_layout().bytes()` bytes. When `sample` already is `slot` (direct()), in place.
  void run(std::span<std::byte> sample, const SampleLayout& layout, std::span<std::byte> slot,
           const SampleContext& ctx) const;

 private:
  const std::vector<std::unique_ptr<Transform>>* transforms_ = nullptr;
  const std::vector<StageSpec>* specs_ = nullptr;
  SampleLayout batch_;
  bool direct_ = true;
};

}  // namespace feedgraph::detail
