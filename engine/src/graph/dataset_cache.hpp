#pragma once
// `dataset.cache`: every sample read once, before the graph starts, into memory (page-locked when the copy
// reads batches straight out of it), then served for every epoch in place of the source.
#include <cstdint>
#include <memory>
#include <vector>

#include "backend/backend.hpp"
#include "feedgraph/pipeline.hpp"
#include "graph/assembly.hpp"
#include "graph/bad_data.hpp"
#include "graph/batch_state.hpp"

namespace feedgraph::detail {

class DatasetCache {
 public:
  /// Reads every sample of `a.source` on the oneTBB workers (the caller's arena), counting what it holds in
  /// `memory`. A bad sample goes to `bad` under `skip`; under `fail` it throws the StageError a read would.
  /// With batches served straight from the cache (plan.shape.from_cache), a bad sample is an Error: such a
  /// batch cannot leave one out. With `verify` there, each batch's checksum is taken once here.
  void fill(const Assembly& a, const Plan& plan, Backend& backend, MemoryCounter& memory, BadData& bad, bool verify);

  /// The cache, standing in for the source (after fill()).
  const Source& source() const { return *source_; }
  /// A batch straight from the cache (one shard, no shuffle: position = id, and the batch is contiguous): no
  /// bytes move on the host.
  void serve(BatchState& m, std::int64_t first, std::int64_t count, bool verify) const;
  double fill_seconds() const { return fill_s_; }

 private:
  std::shared_ptr<std::byte> memory_;
  std::unique_ptr<Source> source_;
  std::vector<std::uint64_t> checksums_;  // per batch index, when batches come from the cache with verify
  double fill_s_ = 0;
};

}  // namespace feedgraph::detail
