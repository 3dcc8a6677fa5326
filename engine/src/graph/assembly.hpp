#pragma once
// A pipeline spec turned into what a run needs before any memory is allocated: the backend choice, the
// built stages (which validates their options), the sample order (shuffle, shard), the transform chain and
// the memory plan.
#include <memory>
#include <vector>

#include "backend/backend.hpp"
#include "feedgraph/pipeline.hpp"
#include "feedgraph/stage.hpp"
#include "samples/sample_chain.hpp"
#include "samples/sample_order.hpp"

namespace feedgraph::detail {

struct Assembly {
  PipelineSpec spec;  ///< with `shard: auto` resolved
  DeviceChoice device;
  std::unique_ptr<Source> source;
  std::vector<std::unique_ptr<Transform>> transforms;
  std::unique_ptr<ComputeStage> compute;
  SampleOrder order;
  SampleChain chain;  ///< points into `transforms` and `spec`: an Assembly is not copied
  DeviceTransform device_transform;  ///< `device_transforms`, fused
  Plan plan;

  Assembly() = default;
  Assembly(const Assembly&) = delete;
  Assembly& operator=(const Assembly&) = delete;
  Assembly(Assembly&&) = delete;
};

/// Host buffers are page-locked themselves (no pin node, no slots).
inline bool direct_pinned(const PipelineSpec& spec) { return spec.transfer.pinned && spec.transfer.direct; }

/// Builds every stage and sizes every pool; throws ConfigError for bad stage options and Error when the
/// plan is over `memory_budget`. Allocates nothing.
std::unique_ptr<Assembly> assemble(const PipelineSpec& spec);

}  // namespace feedgraph::detail
