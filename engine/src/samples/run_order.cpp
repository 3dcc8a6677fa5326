#include "samples/run_order.hpp"

#include <algorithm>

#include "feedgraph/errors.hpp"

namespace feedgraph::detail {

std::vector<std::int64_t> dealt_positions(std::int64_t dataset_size, const DealtEpoch& dealt, int index, int count,
                                          ShardSpec::Uneven uneven) {
  // Old rank r consumed its positions 0..p_r-1, which are global positions r, r+N, ... (wrapping under pad).
  std::vector<char> consumed(static_cast<std::size_t>(dataset_size), 0);
  for (int r = 0; r < dealt.world; ++r) {
    const std::int64_t p = dealt.positions[static_cast<std::size_t>(r)];
    for (std::int64_t k = 0; k < p; ++k) consumed[static_cast<std::size_t>((r + k * dealt.world) % dataset_size)] = 1;
  }
  std::vector<std::int64_t> rest;
  for (std::int64_t g = 0; g < dataset_size; ++g)
    if (!consumed[static_cast<std::size_t>(g)]) rest.push_back(g);
  const auto n = static_cast<std::int64_t>(rest.size());
  if (n == 0) return {};
  const std::int64_t take = uneven == ShardSpec::Uneven::drop ? n / count : (n + count - 1) / count;
  std::vector<std::int64_t> mine;
  mine.reserve(static_cast<std::size_t>(take));
  for (std::int64_t k = 0; k < take; ++k) mine.push_back(rest[static_cast<std::size_t>((index + k * count) % n)]);
  return mine;
}

RunOrder::RunOrder(const SampleOrder& order, const ShardSpec& shard, std::int64_t batch_size, bool drop_last,
                   std::int64_t epochs, const ResumePoint* resume)
    : order_(&order), shard_(shard), batch_size_(batch_size), drop_last_(drop_last), epochs_(epochs) {
  batches_per_epoch_ = per_epoch(order.size());
  if (!resume) {
    first_batches_ = batches_per_epoch_;
    batches_ = batches_per_epoch_ * epochs_;
    return;
  }
  first_epoch_ = resume->epoch;
  std::int64_t first_total = batches_per_epoch_;
  if (resume->dealt) {
    dealt_ = resume->dealt;
    dealt_list_ = dealt_positions(order.dataset_size(), *resume->dealt, shard.index, shard.count, shard.uneven);
    first_total = per_epoch(static_cast<std::int64_t>(dealt_list_.size()));
  }
  first_index_ = std::min(resume->position / batch_size_, first_total);
  first_batches_ = first_total - first_index_;
  if (first_epoch_ >= epochs_ || (first_epoch_ == epochs_ - 1 && first_batches_ == 0))
    throw Error("the state is at the end of the run (epoch " + std::to_string(first_epoch_) + " of " +
                std::to_string(epochs_) + "): nothing is left to deliver; raise epochs to go on");
  batches_ = first_batches_ + batches_per_epoch_ * (epochs_ - first_epoch_ - 1);
}

RunOrder::Batch RunOrder::at(std::int64_t ticket) const {
  Batch b;
  std::int64_t list = order_->size();
  if (ticket < first_batches_) {
    b.epoch = first_epoch_;
    b.index = first_index_ + ticket;
    if (dealt_) list = static_cast<std::int64_t>(dealt_list_.size());
  } else {
    const std::int64_t rest = ticket - first_batches_;
    b.epoch = first_epoch_ + 1 + rest / batches_per_epoch_;
    b.index = rest % batches_per_epoch_;
  }
  b.first = b.index * batch_size_;
  b.count = std::min(batch_size_, list - b.first);
  return b;
}

std::int64_t RunOrder::id(const Batch& b, std::int64_t j) const {
  if (dealt_ && b.epoch == first_epoch_) return order_->global_at(b.epoch, dealt_list_[static_cast<std::size_t>(b.first + j)]);
  return order_->at(b.epoch, b.first + j);
}

PipelineState RunOrder::state_after(std::int64_t consumed) const {
  PipelineState s;
  s.shard_index = shard_.index;
  s.shard_count = shard_.count;
  s.uneven = shard_.uneven;
  if (consumed >= batches_) {
    s.epoch = epochs_;  // the run delivered everything: a later run needs more epochs
    return s;
  }
  const Batch b = at(consumed);
  s.epoch = b.epoch;
  s.batches = b.index;
  s.position = b.first;
  if (dealt_ && b.epoch == first_epoch_) s.dealt = dealt_;
  return s;
}

}  // namespace feedgraph::detail
