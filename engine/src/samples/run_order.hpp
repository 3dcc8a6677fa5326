#pragma once
// Which samples one run delivers, batch by batch: the pipeline's epochs (SampleOrder), from the start or from
// where a saved state says (feedgraph/state.hpp). A ticket is a run's batch number; the run's batches are
// the rest of the resumed epoch, then whole epochs.
#include <cstdint>
#include <optional>
#include <vector>

#include "feedgraph/state.hpp"
#include "samples/sample_order.hpp"

namespace feedgraph::detail {

/// Where a resumed run starts, already checked against the pipeline.
struct ResumePoint {
  std::int64_t epoch = 0;
  /// Positions of this rank's list for `epoch` already consumed: its own order's, or `dealt`'s.
  std::int64_t position = 0;
  /// `epoch` is dealt out from another world size: the layout it came from.
  std::optional<DealtEpoch> dealt;
};

/// The positions of `epoch`'s global order that rank `index` of `count` takes when `dealt` (every old rank's
/// consumed positions) is dealt out: what no old rank consumed, ascending, every count-th from the index-th;
/// `uneven` pads (wrapping to the start of the rest) or drops the remainder.
std::vector<std::int64_t> dealt_positions(std::int64_t dataset_size, const DealtEpoch& dealt, int index, int count,
                                          ShardSpec::Uneven uneven);

class RunOrder {
 public:
  struct Batch {
    std::int64_t epoch = 0;
    std::int64_t index = 0;  ///< within the epoch (a dealt epoch counts its own batches from 0)
    std::int64_t first = 0;  ///< the epoch list's position of the batch's first sample
    std::int64_t count = 0;  ///< samples
  };

  RunOrder() = default;
  /// `resume` null: from the start. Throws Error when the resume point is past the last epoch.
  RunOrder(const SampleOrder& order, const ShardSpec& shard, std::int64_t batch_size, bool drop_last,
           std::int64_t epochs, const ResumePoint* resume);

  std::int64_t batches() const { return batches_; }
  Batch at(std::int64_t ticket) const;
  /// The dataset id of sample `j` of `b`.
  std::int64_t id(const Batch& b, std::int64_t j) const;
  /// What a state says after `consumed` tickets of this run were consumed (this rank's part; the caller adds
  /// the fingerprint and names).
  PipelineState state_after(std::int64_t consumed) const;

 private:
  std::int64_t per_epoch(std::int64_t samples) const {
    return samples / batch_size_ + (!drop_last_ && samples % batch_size_ != 0 ? 1 : 0);
  }

  const SampleOrder* order_ = nullptr;
  ShardSpec shard_;
  std::int64_t batch_size_ = 1;
  bool drop_last_ = false;
  std::int64_t epochs_ = 1;
  std::int64_t batches_per_epoch_ = 0;
  // The first epoch of the run: partial when resumed, dealt when resumed on another world size.
  std::int64_t first_epoch_ = 0;
  std::int64_t first_index_ = 0;    // its first batch's index
  std::int64_t first_batches_ = 0;  // its batches in this run
  std::optional<DealtEpoch> dealt_;
  std::vector<std::int64_t> dealt_list_;  // this rank's global positions of the dealt epoch
  std::int64_t batches_ = 0;
};

}  // namespace feedgraph::detail
