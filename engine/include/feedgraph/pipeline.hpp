#pragma once
// Run a pipeline: build its flow graph, allocate every buffer, push every batch through, report.
//
//   auto spec  = feedgraph::load_pipeline("graphs/seed.yaml");
//   auto plan  = feedgraph::plan(spec);          // validates stages, sizes memory; allocates nothing
//   auto stats = feedgraph::run(spec);           // throws feedgraph::Error on any failure
//   std::cout << stats.samples_per_s << " samples/s, " << stats.verdict << "\n";
#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "feedgraph/layout.hpp"
#include "feedgraph/spec.hpp"
#include "feedgraph/stats.hpp"

namespace feedgraph {

/// What a run will be, before it runs.
struct Plan {
  std::string backend;           ///< the backend `device` resolves to: cuda | host
  int device_index = 0;
  std::string device_name;
  std::string device_reason;     ///< why `auto` picked it ("no CUDA device answered", ...)
  SampleLayout layout;           ///< the layout the compute node sees (after device_transforms)
  SampleLayout transfer_layout;  ///< the layout that crosses the link (after the host transforms)
  SampleLayout source_layout;    ///< what the source produces (entries `kVaries` where samples differ)
  std::int64_t dataset_samples = 0;  ///< the whole dataset, every shard
  int shard_index = 0, shard_count = 1;
  std::string shard_from;        ///< `shard: auto`: the variables it came from; empty otherwise
  std::int64_t samples = 0;      ///< per epoch, in this shard
  std::int64_t batches_per_epoch = 0;
  std::int64_t batches = 0;      ///< all epochs
  std::size_t batch_bytes = 0;   ///< a full batch, as it crosses the link
  MemoryPlan memory;
};

/// One batch as it left the compute node, for callers that check what arrived.
struct BatchRecord {
  std::int64_t ticket = 0;  ///< dense, 0-based over the whole run
  std::int64_t epoch = 0;
  std::int64_t index = 0;   ///< within the epoch
  std::span<const std::int64_t> sample_ids;  ///< in batch order; skipped samples are not in it
  std::span<const std::int64_t> labels;      ///< one per sample id
  std::uint64_t host_checksum = 0;    ///< computed before the copy (0 when verify is off)
  std::uint64_t device_checksum = 0;  ///< computed by the compute stage after the copy
};

/// Where a run injects a failure, for tests of error paths (DESIGN §6).
struct FaultInjection {
  std::string node;          ///< read | transform | pin | copy | compute | "" for none
  std::int64_t batch = -1;   ///< the ticket to fail at
  enum class Kind { throw_error, stall } kind = Kind::throw_error;
};

struct RunOptions {
  /// Called once per batch, serially, in the order batches completed (ticket order when `ordered`).
  std::function<void(const BatchRecord&)> on_batch;
  /// A progress line on stderr, refreshed a few times a second.
  bool progress = false;
  FaultInjection fault;
};

/// Validate the stages and size the memory; throws ConfigError (bad stage options), Error (memory budget).
Plan plan(const PipelineSpec& spec);

/// Run the pipeline once. Throws StageError, CudaError, StallError, ConfigError or Error.
RunStats run(const PipelineSpec& spec, const RunOptions& options = {});

/// "0.1.0"
const char* version() noexcept;

}  // namespace feedgraph
