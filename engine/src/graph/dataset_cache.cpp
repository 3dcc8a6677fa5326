// `dataset.cache` (dataset_cache.hpp): filled before the graph starts, then served in place of the source.
#include "graph/dataset_cache.hpp"

#include <tbb/parallel_for.h>

#include <chrono>
#include <cstring>
#include <map>
#include <mutex>

#include "feedgraph/checksum.hpp"
#include "samples/cached_source.hpp"
#include "samples/sample_buffer.hpp"

namespace feedgraph::detail {

void DatasetCache::fill(const Assembly& a, const Plan& plan, Backend& backend, MemoryCounter& memory, BadData& bad,
                        bool verify) {
  const auto start = std::chrono::steady_clock::now();
  const std::int64_t n = plan.dataset_samples;
  const bool fixed = plan.source_layout.fixed();
  const std::size_t sample_bytes = fixed ? plan.source_layout.bytes() : 0;
  std::vector<CachedSample> samples;  // varying layouts: one allocation per sample
  std::vector<std::int64_t> labels(static_cast<std::size_t>(n));
  memory.add(labels.size() * sizeof(std::int64_t));
  if (!fixed) {
    samples.resize(static_cast<std::size_t>(n));
  } else if (plan.shape.cache_pinned) {
    // Page-locked only when the copy reads batches straight out of it; otherwise it is only ever memcpy'd from.
    memory_ = backend.allocate_pinned(static_cast<std::size_t>(n) * sample_bytes, memory);
  } else {
    const std::size_t bytes = static_cast<std::size_t>(n) * sample_bytes;
    memory_ = std::shared_ptr<std::byte>(new std::byte[bytes], std::default_delete<std::byte[]>());
    memory.add(bytes);
  }
  std::mutex bad_mutex;
  std::map<std::int64_t, DataError> bad_samples;
  std::exception_ptr failure;
  tbb::parallel_for(std::int64_t{0}, n, [&](std::int64_t id) {
    try {
      if (fixed) {
        BatchSlotOut out({memory_.get() + static_cast<std::size_t>(id) * sample_bytes, sample_bytes}, plan.source_layout);
        a.source->read(id, out);
      } else {
        CachedSampleOut out(samples[static_cast<std::size_t>(id)]);
        a.source->read(id, out);
      }
      labels[static_cast<std::size_t>(id)] = a.source->label(id);
    } catch (const DataError& e) {
      std::lock_guard lock(bad_mutex);
      if (bad.skipping()) {
        bad_samples.emplace(id, bad.located(id, e));
      } else if (!failure) {
        failure = std::make_exception_ptr(StageError("read", -1, id, bad.located(id, e).what()));
      }
    } catch (...) {
      std::lock_guard lock(bad_mutex);
      if (!failure) failure = std::current_exception();
    }
  });
  if (failure) std::rethrow_exception(failure);
  if (!bad_samples.empty() && plan.shape.from_cache) {
    const DataError& first = bad_samples.begin()->second;
    throw Error("dataset.cache: " + std::to_string(bad_samples.size()) + " bad sample(s), the first " + first.what() +
                "; batches sent straight from the cache cannot leave a sample out (add a transform or "
                "shuffle, which copy each sample, or fix the data)");
  }
  std::unique_ptr<CachedSource> cached;
  if (fixed) {
    cached = std::make_unique<CachedSource>(*a.source, memory_, std::move(labels), std::move(bad_samples));
  } else {
    std::uint64_t held = 0;
    for (const CachedSample& s : samples) held += s.bytes ? s.layout.bytes() : 0;
    memory.add(held);
    cached = std::make_unique<CachedSource>(*a.source, std::move(samples), std::move(labels), std::move(bad_samples));
  }

  if (plan.shape.from_cache && verify) {
    // The batches are the same every epoch (no shuffle, one shard), so their checksums are taken once here.
    checksums_.resize(static_cast<std::size_t>(plan.batches_per_epoch));
    tbb::parallel_for(std::int64_t{0}, plan.batches_per_epoch, [&](std::int64_t b) {
      const std::int64_t first = b * a.spec.batch_size;
      const std::int64_t count = std::min<std::int64_t>(a.spec.batch_size, plan.samples - first);
      std::uint64_t sum = 0;
      for (std::int64_t j = 0; j < count; ++j)
        sum += sample_checksum({cached->sample(first + j), sample_bytes}, j);
      checksums_[static_cast<std::size_t>(b)] = sum;
    });
  }
  source_ = std::move(cached);
  fill_s_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void DatasetCache::serve(BatchState& m, std::int64_t first, std::int64_t count, bool verify) const {
  const auto& cache = static_cast<const CachedSource&>(*source_);
  m.host_data = cache.sample(first);
  for (std::int64_t j = 0; j < count; ++j) {
    m.sample_ids.push_back(first + j);
    m.labels.push_back(cache.label(first + j));
  }
  m.samples = count;
  if (verify) m.host_checksum = checksums_[static_cast<std::size_t>(m.index)];
}

}  // namespace feedgraph::detail
