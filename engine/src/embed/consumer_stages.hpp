#pragma once
// The compute stages that stand in for the file's `compute` when a program consumes the batches itself.
//
// Both take the batch checksum first when verify will compare it (the consumer may change the bytes), so
// that a pulled or pushed batch is checked exactly as one the built-in compute stage saw.
#include <vector>

#include "graph/pull_channel.hpp"
#include "feedgraph/device_checksum.hpp"
#include "feedgraph/pipeline.hpp"

namespace feedgraph::detail {

inline void consumer_checksum(const ComputeLaunch& l) {
  if (l.verify) launch_checksum(l);
}

/// Pull: the compute node only checks the batch; the consumer's own work runs on its stream after delivery.
class PullCompute final : public ComputeStage {
 public:
  void launch(const ComputeLaunch& l) override { consumer_checksum(l); }
};

/// Push: the program's function, called on the compute thread with the batch lent for the call.
class CallableCompute final : public ComputeStage {
 public:
  explicit CallableCompute(Pipeline::BatchFunction fn) : fn_(std::move(fn)) {}
  void launch(const ComputeLaunch& l) override {
    consumer_checksum(l);
    batch_shape(l.batch.samples, l.batch.layout, shape_);  // serial node: one shape buffer is enough
    DeviceBatch batch = DeviceBatchAccess::lend(l.batch, shape_);
    fn_(batch, l.stream);
  }

 private:
  Pipeline::BatchFunction fn_;
  std::vector<std::int64_t> shape_;
};

}  // namespace feedgraph::detail
