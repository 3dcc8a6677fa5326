// The run's side of the data: filling `dataset.cache`, serving batches straight from it, and the
// `on_error: skip` bookkeeping. (The node bodies that call these are in node_bodies.cpp.)
#include <tbb/parallel_for.h>

#include <cstring>

#include "feedgraph/checksum.hpp"
#include "graph/graph_run_impl.hpp"
#include "samples/cached_source.hpp"

namespace feedgraph::detail {

void GraphRun::fill_cache() {
  const auto start = Clock::now();
  const std::int64_t n = plan_.dataset_samples;
  const bool fixed = plan_.source_layout.fixed();
  const std::size_t sample_bytes = fixed ? plan_.source_layout.bytes() : 0;
  std::vector<CachedSample> samples;  // varying layouts: one allocation per sample
  std::vector<std::int64_t> labels(static_cast<std::size_t>(n));
  memory_.add(labels.size() * sizeof(std::int64_t));
  if (!fixed) {
    samples.resize(static_cast<std::size_t>(n));
  } else if (shape_.cache_pinned) {
    // Page-locked only when the copy reads batches straight out of it; otherwise it is only ever memcpy'd from.
    cache_ = backend_->allocate_pinned(static_cast<std::size_t>(n) * sample_bytes, memory_);
  } else {
    const std::size_t bytes = static_cast<std::size_t>(n) * sample_bytes;
    cache_ = std::shared_ptr<std::byte>(new std::byte[bytes], std::default_delete<std::byte[]>());
    memory_.add(bytes);
  }
  std::mutex bad_mutex;
  std::map<std::int64_t, DataError> bad;
  std::exception_ptr failure;
  tbb::parallel_for(std::int64_t{0}, n, [&](std::int64_t id) {
    try {
      if (fixed) {
        BatchSlotOut out({cache_.get() + static_cast<std::size_t>(id) * sample_bytes, sample_bytes}, plan_.source_layout);
        a_.source->read(id, out);
      } else {
        CachedSampleOut out(samples[static_cast<std::size_t>(id)]);
        a_.source->read(id, out);
      }
      labels[static_cast<std::size_t>(id)] = a_.source->label(id);
    } catch (const DataError& e) {
      std::lock_guard lock(bad_mutex);
      if (spec_.data.on_error == DatasetPolicy::OnError::skip) {
        bad.emplace(id, located(id, e));
      } else if (!failure) {
        failure = std::make_exception_ptr(StageError("read", -1, id, located(id, e).what()));
      }
    } catch (...) {
      std::lock_guard lock(bad_mutex);
      if (!failure) failure = std::current_exception();
    }
  });
  if (failure) std::rethrow_exception(failure);
  if (!bad.empty() && shape_.from_cache) {
    const DataError& first = bad.begin()->second;
    throw Error("dataset.cache: " + std::to_string(bad.size()) + " bad sample(s), the first " + first.what() +
                "; batches sent straight from the cache cannot leave a sample out (add a transform or "
                "shuffle, which copy each sample, or fix the data)");
  }
  std::unique_ptr<CachedSource> cached;
  if (fixed) {
    cached = std::make_unique<CachedSource>(*a_.source, cache_, std::move(labels), std::move(bad));
  } else {
    std::uint64_t held = 0;
    for (const CachedSample& s : samples) held += s.bytes ? s.layout.bytes() : 0;
    memory_.add(held);
    cached = std::make_unique<CachedSource>(*a_.source, std::move(samples), std::move(labels), std::move(bad));
  }

  if (shape_.from_cache && spec_.verify) {
    // The batches are the same every epoch (no shuffle, one shard), so their checksums are taken once here.
    cache_checksums_.resize(static_cast<std::size_t>(plan_.batches_per_epoch));
    tbb::parallel_for(std::int64_t{0}, plan_.batches_per_epoch, [&](std::int64_t b) {
      const std::int64_t first = b * spec_.batch_size;
      const std::int64_t count = std::min<std::int64_t>(spec_.batch_size, plan_.samples - first);
      std::uint64_t sum = 0;
      for (std::int64_t j = 0; j < count; ++j)
        sum += sample_checksum({cached->sample(first + j), sample_bytes}, j);
      cache_checksums_[static_cast<std::size_t>(b)] = sum;
    });
  }
  cache_source_ = std::move(cached);
  source_ = cache_source_.get();
  cache_fill_s_ = seconds(Clock::now() - start);
}

void GraphRun::read_from_cache(Msg m, std::int64_t first, std::int64_t count) {
  const auto& cache = static_cast<const CachedSource&>(*cache_source_);
  m->host_data = cache.sample(first);  // one shard, no shuffle: position = id, and the batch is contiguous
  for (std::int64_t j = 0; j < count; ++j) {
    m->sample_ids.push_back(first + j);
    m->labels.push_back(source_->label(first + j));
  }
  m->samples = count;
  if (spec_.verify) m->host_checksum = cache_checksums_[static_cast<std::size_t>(m->index)];
}

DataError GraphRun::located(std::int64_t id, const DataError& e) const {
  if (!e.where().empty()) return e;
  return DataError(a_.source->where(id), e.message());
}

bool GraphRun::skip(Msg m, std::int64_t id, const DataError& e) {
  if (spec_.data.on_error != DatasetPolicy::OnError::skip) return false;
  const DataError full = located(id, e);
  std::lock_guard lock(skip_mutex_);
  ++skipped_;
  if (skipped_samples_.size() < 1000)
    skipped_samples_.push_back(SkippedSample{id, m ? m->ticket : -1, full.where(), full.message()});
  if (skipped_ > spec_.data.max_skipped) {
    throw Error("on_error: skip: more than max_skipped (" + std::to_string(spec_.data.max_skipped) +
                ") bad samples; the last: " + full.what());
  }
  return true;
}

}  // namespace feedgraph::detail
