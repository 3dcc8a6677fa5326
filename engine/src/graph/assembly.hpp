#pragma once
// A pipeline spec turned into what every run of it shares: the backend choice, the built stages (which
// validates their options), the sample order (shuffle, shard) and the transform chain. Built once per
// Pipeline; each run's plan (pools, memory) is plan_run() of it and that run's settings.
#include <memory>
#include <optional>
#include <vector>

#include "backend/backend.hpp"
#include "feedgraph/pipeline.hpp"
#include "feedgraph/stage.hpp"
#include "samples/sample_chain.hpp"
#include "samples/run_order.hpp"
#include "samples/sample_order.hpp"

namespace feedgraph::detail {

struct Assembly {
  PipelineSpec spec;  ///< with `shard: auto` resolved
  DeviceChoice device;
  std::unique_ptr<Source> source;
  std::vector<std::unique_ptr<Transform>> transforms;
  std::unique_ptr<ComputeStage> compute;
  /// decode_jpeg and the geometry transforms of `device_transforms`, built as the host builds them: the
  /// device_transform's decode points into these.
  std::vector<std::unique_ptr<Transform>> device_stages;
  SampleOrder order;
  SampleChain chain;  ///< points into `transforms` and `spec`: an Assembly is not copied
  DeviceTransform device_transform;  ///< `device_transforms`, fused
  /// The half of every plan that no setting changes: device, layouts, samples, batches per epoch, batch
  /// bytes. Its settings, shape, batches and memory are plan_run()'s to fill.
  Plan base;
  std::size_t staging_sample_bytes = 0;  ///< per staged sample, when samples change layout on the way in
  /// Pipeline::resume(): where the next run starts (its plan counts the batches left). Cleared when that run
  /// starts.
  std::optional<ResumePoint> resume;

  Assembly() = default;
  Assembly(const Assembly&) = delete;
  Assembly& operator=(const Assembly&) = delete;
  Assembly(Assembly&&) = delete;
};

/// Builds every stage and makes the sample order; throws ConfigError for bad stage options. Allocates
/// nothing. Counted (assemblies_built()).
std::unique_ptr<Assembly> assemble(const PipelineSpec& spec);

/// The plan of one run of `a` with `settings`: its pools, batches and memory. Pure; allocates nothing.
/// Throws Error when a key is still `auto` or the memory plan is over settings.memory_budget.
Plan plan_run(const Assembly& a, const RunSettings& settings);

/// The samples of each of a run's batches: from a.resume when set, else from the start.
RunOrder run_order(const Assembly& a, const Plan& plan);

/// What decides the order and the bytes delivered, for a saved state.
StateFingerprint fingerprint_of(const Assembly& a);

}  // namespace feedgraph::detail
