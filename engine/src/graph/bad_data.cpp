// `on_error: skip` bookkeeping (bad_data.hpp).
#include "graph/bad_data.hpp"

#include <string>

namespace feedgraph::detail {

DataError BadData::located(std::int64_t id, const DataError& e) const {
  if (!e.where().empty()) return e;
  return DataError(source_.where(id), e.message());
}

bool BadData::skip(std::int64_t ticket, std::int64_t id, const DataError& e) {
  if (!skipping()) return false;
  const DataError full = located(id, e);
  std::lock_guard lock(mutex_);
  ++skipped_;
  if (samples_.size() < 1000) samples_.push_back(SkippedSample{id, ticket, full.where(), full.message()});
  if (skipped_ > policy_.max_skipped) {
    throw Error("on_error: skip: more than max_skipped (" + std::to_string(policy_.max_skipped) +
                ") bad samples; the last: " + full.what());
  }
  return true;
}

}  // namespace feedgraph::detail
