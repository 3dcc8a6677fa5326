// The bound of a transform-bound graph: its host transforms alone, on plain threads, over samples already in
// memory. What the cores can do with this chain when nothing else shares them: no graph, no reads, no copy,
// no compute. Each thread writes its samples into a batch-sized buffer of its own, slot after slot, as a
// transform worker writes into its batch, so the output's memory traffic is counted as the graph has it.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "feedgraph/errors.hpp"
#include "graph/assembly.hpp"
#include "backend/batch_memory.hpp"
#include "feedgraph/tools/bounds.hpp"
#include "samples/cached_source.hpp"
#include "samples/sample_buffer.hpp"
#include "samples/sample_chain.hpp"

namespace feedgraph {
namespace {

namespace fd = feedgraph::detail;

/// Samples/s of `threads` threads running the chain over every sample `epochs` times; thread t takes the
/// samples t, t + threads, ... of each epoch (the same mix of files for every thread count).
double run_threads(const fd::Assembly& a, const std::vector<fd::CachedSample>& samples, int threads) {
  const PipelineSpec& spec = a.spec;
  const std::size_t sample_bytes = a.base.transfer_layout.bytes();
  const auto batch = static_cast<std::size_t>(spec.batch_size);
  const auto n = static_cast<std::int64_t>(samples.size());
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  std::exception_ptr failure;
  std::mutex failure_mutex;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      try {
        const std::unique_ptr<std::byte, fd::FreeBatchMemory> out(fd::allocate_batch_memory(batch * sample_bytes));
        fd::SampleBuffer staging;
        std::size_t k = 0;
        for (std::int64_t e = 0; e < spec.epochs; ++e) {
          for (std::int64_t id = t; id < n; id += threads) {
            const fd::CachedSample& s = samples[static_cast<std::size_t>(id)];
            if (!s.bytes) continue;  // a bad file: the graph skips it too
            // Copied out of the cache first, as the graph's read node does: the decoder then reads it warm.
            const std::span<std::byte> staged = staging.allocate(s.layout);
            std::memcpy(staged.data(), s.bytes.get(), staged.size());
            const std::span<std::byte> slot{out.get() + k * sample_bytes, sample_bytes};
            a.chain.run(staged, s.layout, slot, SampleContext{id, e, spec.seed});
            k = (k + 1) % batch;
          }
        }
      } catch (...) {
        std::lock_guard lock(failure_mutex);
        if (!failure) failure = std::current_exception();
      }
    });
  }
  for (auto& th : pool) th.join();
  if (failure) std::rethrow_exception(failure);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::int64_t good = 0;
  for (const auto& smp : samples) good += smp.bytes ? 1 : 0;
  return static_cast<double>(good * spec.epochs) / s;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

TransformsAlone measure_transforms_alone(const PipelineSpec& spec, int threads, int repetitions) {
  if (threads < 1 || repetitions < 1) throw Error("measure_transforms_alone: threads and repetitions must be >= 1");
  // The graph's own stages, built as a pipeline builds them (assembling allocates nothing).
  const auto a = fd::assemble(spec);
  if (a->base.ragged)
    throw Error("measure_transforms_alone: " + spec.name + " decodes on the device: the host runs no transforms to measure");
  // The source read once, as `dataset.cache` holds it; a bad sample stays empty and is left out.
  std::vector<fd::CachedSample> samples(static_cast<std::size_t>(a->source->size()));
  for (std::int64_t id = 0; id < a->source->size(); ++id) {
    try {
      fd::CachedSampleOut out(samples[static_cast<std::size_t>(id)]);
      a->source->read(id, out);
    } catch (const DataError&) {
      samples[static_cast<std::size_t>(id)] = {};
    }
  }
  // One thread against `threads`, interleaved, so that both see the machine in the same state: their ratio
  // is the most any graph can scale by on it at that moment.
  std::vector<double> one, many;
  for (int r = 0; r < repetitions; ++r) {
    one.push_back(run_threads(*a, samples, 1));
    many.push_back(run_threads(*a, samples, threads));
  }
  return {median(one), median(many), threads};
}

}  // namespace feedgraph
