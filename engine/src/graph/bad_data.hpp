#pragma once
// A run's policy for bad samples (`dataset.on_error`): under `skip`, a DataError leaves its sample out of the
// batch and is counted and reported; past `max_skipped` the run fails. Under `fail`, the caller rethrows.
#include <cstdint>
#include <mutex>
#include <vector>

#include "feedgraph/errors.hpp"
#include "feedgraph/spec.hpp"
#include "feedgraph/stage.hpp"
#include "feedgraph/stats.hpp"

namespace feedgraph::detail {

class BadData {
 public:
  BadData(const DatasetPolicy& policy, const Source& source) : policy_(policy), source_(source) {}

  /// Under `skip`, records `e` for sample `id` of batch `ticket` (-1: none, while filling the cache) and
  /// returns true (the caller leaves the sample out); under `fail` returns false (the caller rethrows).
  /// Throws Error once more than max_skipped samples were skipped. Thread-safe.
  bool skip(std::int64_t ticket, std::int64_t id, const DataError& e);
  bool skipping() const { return policy_.on_error == DatasetPolicy::OnError::skip; }

  /// `e` with `where` filled in from the source when the stage that threw did not know it.
  DataError located(std::int64_t id, const DataError& e) const;

  /// Once the run is over: how many were skipped, and the first 1000 of them.
  std::int64_t skipped() const { return skipped_; }
  std::vector<SkippedSample> take_samples() { return std::move(samples_); }

 private:
  const DatasetPolicy& policy_;
  const Source& source_;
  std::mutex mutex_;
  std::int64_t skipped_ = 0;
  std::vector<SkippedSample> samples_;
};

}  // namespace feedgraph::detail
