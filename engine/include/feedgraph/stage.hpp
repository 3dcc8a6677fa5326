#pragma once
// The interfaces a stage implements, and the registry that lets a pipeline file name it.
//
// A stage knows nothing about the graph: the engine calls a Source from its read workers, Transforms from
// its transform workers and a ComputeStage from the compute node, each with concurrency set in the file.
// A new stage is one class and one registration line:
//
//   class Invert final : public feedgraph::Transform {
//     void apply(std::span<std::byte> s, const feedgraph::SampleLayout&,
//                const feedgraph::SampleContext&) const override {
//       for (auto& b : s) b = ~b;
//     }
//   };
//   feedgraph::register_transform("invert", [](const feedgraph::StageOptions&, const feedgraph::StageContext&) {
//     return std::make_unique<Invert>();
//   });
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "feedgraph/layout.hpp"
#include "feedgraph/options.hpp"

struct CUstream_st;  // cudaStream_t without including the CUDA runtime (DESIGN §2)

namespace feedgraph {

enum class BackendKind { host, cuda };

/// Where a sample sits in the run, for stages whose result depends on it (seeded randomness).
struct SampleContext {
  std::int64_t id = 0;      ///< sample id within the dataset
  std::int64_t epoch = 0;
  std::uint64_t seed = 0;   ///< the dataset seed
};

/// Produces samples by id. `read` is called concurrently by the read workers and must be thread-safe;
/// the bytes it writes must depend on the id alone, so that any concurrency yields the same batches.
class Source {
 public:
  virtual ~Source() = default;
  virtual SampleLayout layout() const = 0;
  virtual std::int64_t size() const = 0;
  virtual std::uint64_t seed() const { return 0; }
  virtual void read(std::int64_t id, std::span<std::byte> out) const = 0;
};

/// Rewrites one sample in place. Called concurrently; must be thread-safe.
class Transform {
 public:
  virtual ~Transform() = default;
  virtual void apply(std::span<std::byte> sample, const SampleLayout& layout, const SampleContext& ctx) const = 0;
};

/// One batch in the memory the compute node runs on: device memory on cuda, a host buffer on host.
struct DeviceBatchView {
  const std::byte* data = nullptr;
  std::size_t bytes = 0;
  std::int64_t samples = 0;
  SampleLayout layout;  ///< per sample; `bytes == samples * layout.bytes()`
};

/// What the compute node hands a ComputeStage for one batch.
struct ComputeLaunch {
  BackendKind backend = BackendKind::host;
  DeviceBatchView batch;
  /// Where the stage must store the batch checksum (`feedgraph/checksum.hpp`): device memory on cuda
  /// (written by a kernel on `stream`), host memory on host. The engine compares it with the host's.
  std::uint64_t* checksum = nullptr;
  CUstream_st* stream = nullptr;  ///< the compute stream on cuda; null on host
};

/// The work the GPU does per batch. On cuda `launch` only enqueues on `stream` (it must never wait on the
/// host); on host it runs the same computation synchronously on the compute thread.
class ComputeStage {
 public:
  virtual ~ComputeStage() = default;
  /// Bytes of scratch memory (device on cuda) the stage will allocate in `prepare`, for the memory plan.
  virtual std::size_t scratch_bytes(BackendKind) const { return 0; }
  /// Allocate scratch and handles; called once before the graph starts, on the thread that runs it.
  virtual void prepare(BackendKind, CUstream_st* /*stream*/) {}
  virtual void launch(const ComputeLaunch& launch) = 0;
};

/// Everything a factory may need beyond its own options.
struct StageContext {
  SampleLayout layout;           ///< the sample layout the stage receives (not set for sources)
  std::int64_t batch_size = 0;
};

using SourceFactory = std::function<std::unique_ptr<Source>(const StageOptions&, const StageContext&)>;
using TransformFactory = std::function<std::unique_ptr<Transform>(const StageOptions&, const StageContext&)>;
using ComputeFactory = std::function<std::unique_ptr<ComputeStage>(const StageOptions&, const StageContext&)>;

/// Register a stage under `name`, so that `dataset.source`, a `transforms` entry or `compute.kernel` can name
/// it. Registering a name twice replaces the earlier factory. Thread-safe.
void register_source(const std::string& name, SourceFactory factory);
void register_transform(const std::string& name, TransformFactory factory);
void register_compute(const std::string& name, ComputeFactory factory);

/// The names known now (built-in ones included), sorted.
std::vector<std::string> source_names();
std::vector<std::string> transform_names();
std::vector<std::string> compute_names();

}  // namespace feedgraph
