#pragma once
// The interfaces a stage implements, and the registry that lets a pipeline file name it.
//
// A stage knows nothing about the graph: the engine calls a Source from its read workers, Transforms from
// its transform workers and a ComputeStage from the compute node, each with concurrency set in the file.
// A new stage is one class and one registration line:
//
//   class Invert final : public feedgraph::Transform {
//     bool in_place() const override { return true; }
//     void apply(const feedgraph::SampleView& in, feedgraph::SampleOut& out,
//                const feedgraph::SampleContext&) const override {
//       auto dst = out.allocate(in.layout);          // in place: the same memory as in.bytes
//       for (std::size_t i = 0; i < dst.size(); ++i) dst[i] = ~in.bytes[i];
//     }
//   };
//   feedgraph::register_transform("invert", [](const feedgraph::StageOptions&, const feedgraph::StageContext&) {
//     return std::make_unique<Invert>();
//   });
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "feedgraph/layout.hpp"
#include "feedgraph/options.hpp"

struct CUstream_st;  // cudaStream_t without including the CUDA runtime

namespace feedgraph {

enum class BackendKind { host, cuda };

/// Where a sample sits in the run, for stages whose result depends on it (seeded randomness): a random
/// transform must draw from (seed, epoch, id) alone, never from the thread or the time it runs at.
struct SampleContext {
  std::int64_t id = 0;      ///< sample id within the dataset
  std::int64_t epoch = 0;
  std::uint64_t seed = 0;   ///< the pipeline's `seed`
};

/// One sample as the previous stage left it: its bytes and its actual layout (always fixed).
struct SampleView {
  std::span<const std::byte> bytes;
  const SampleLayout& layout;
};

/// Where a stage writes one sample. `allocate` is called once per sample with the sample's actual (fixed)
/// layout and returns exactly `layout.bytes()` bytes to fill: the sample's place in the batch when the
/// layout is final, a reusable scratch buffer between stages otherwise. Nothing is allocated per sample
/// once buffers have grown to the largest sample.
class SampleOut {
 public:
  /// Throws Error when `layout` varies, or does not fit where the sample goes (a final layout other than the
  /// batch's; a size other than the input's for an in-place transform). Let it propagate: the run then fails
  /// as for any other exception of the stage.
  virtual std::span<std::byte> allocate(const SampleLayout& layout) = 0;

 protected:
  ~SampleOut() = default;
};

/// Produces samples by id. `read` is called concurrently by the read workers and must be thread-safe; the
/// bytes it writes must depend on the id alone, so that any concurrency yields the same batches. Bad data
/// is reported by throwing DataError (the dataset's `on_error` decides), never by crashing or hanging.
/// The other members run while a Pipeline is built or a run starts (what they throw reaches that caller as
/// thrown), or next to `read` (`label`, `where`: they then fail the run as `read` does).
/// A file a source reads, and its size: what a saved state's fingerprint records of the data.
struct DataFileIdentity {
  std::string path;
  std::uint64_t bytes = 0;
  bool operator==(const DataFileIdentity&) const = default;
};

class Source {
 public:
  virtual ~Source() = default;
  /// Every sample's layout; entries are `kVaries` where samples differ (encoded files).
  virtual SampleLayout layout() const = 0;
  virtual std::int64_t size() const = 0;
  virtual std::uint64_t seed() const { return 0; }
  /// The most bytes one sample can take, for the memory plan: `layout().bytes()` for a fixed layout; a
  /// source whose samples vary must say (the largest file, say).
  virtual std::size_t largest_sample_bytes() const { return layout().bytes(); }
  /// All samples' bytes together, for the memory plan of `dataset.cache`: `size() × largest_sample_bytes()`
  /// unless the source knows better (the images source sums its files' sizes).
  virtual std::uint64_t total_bytes() const {
    return static_cast<std::uint64_t>(size()) * static_cast<std::uint64_t>(largest_sample_bytes());
  }
  /// The most bytes `count` samples take together, for a batch of samples that vary (encoded files crossing
  /// the link packed, for decode_jpeg on the device): `count × largest_sample_bytes()` unless the source
  /// knows better (the images source sums its `count` largest files).
  virtual std::uint64_t largest_batch_bytes(std::int64_t count) const {
    return static_cast<std::uint64_t>(count) * static_cast<std::uint64_t>(largest_sample_bytes());
  }
  /// The sample's class label (the images' subfolder, a records label); 0 when the data has none.
  virtual std::int64_t label(std::int64_t /*id*/) const { return 0; }
  /// Where sample `id` lives, for messages: "data/train-0.rec offset 4096".
  virtual std::string where(std::int64_t id) const { return "sample " + std::to_string(id); }
  /// True when `read` may sleep (on storage, the network): with `threads: auto` each read worker then gets a
  /// thread beyond the cores, since a sleeping one leaves its core free. A source that only computes says
  /// false, and its read workers share the cores with the transforms.
  virtual bool read_may_sleep() const { return true; }
  /// The files it reads, in sample order, and their sizes when listed: a resumed run refuses a state saved
  /// over other data. Empty for a source without files (synthetic).
  virtual std::vector<DataFileIdentity> files() const { return {}; }
  /// Writes sample `id` through `out`. When it throws: a DataError goes to the dataset's `on_error` (fail: the
  /// run ends with a StageError carrying its message; skip: the sample is left out and counted); any other
  /// exception ends the run as a StageError naming the read node, batch and sample (a CudaError, StageError
  /// or StallError as thrown). While `dataset.cache` is filled, before the graph starts, a non-DataError
  /// exception reaches the caller of the run as thrown.
  virtual void read(std::int64_t id, SampleOut& out) const = 0;
};

/// One axis of a bilinear resample (half-pixel centres, samples clamped to the input region): output pixels
/// [out_offset, out_offset + out_size) of an `out_full`-pixel resize of input pixels [in_start, in_start +
/// in_size). A crop of a resize is one such pass.
struct ResampleAxis {
  std::int64_t in_start = 0, in_size = 0, out_full = 0, out_offset = 0, out_size = 0;
  static ResampleAxis whole(std::int64_t in, std::int64_t out) { return {0, in, out, 0, out}; }
  /// Every output pixel is the input pixel at the same place.
  bool identity() const { return in_start == 0 && out_offset == 0 && in_size == out_full && out_full == out_size; }
  bool operator==(const ResampleAxis&) const = default;
};

/// Where each output pixel of a transform that only moves pixels comes from: row `y` and column `x` of the
/// resample, the columns then mirrored when `flip`. What decode_jpeg on the device applies after decoding.
struct PixelMap {
  ResampleAxis y, x;
  bool flip = false;
  bool operator==(const PixelMap&) const = default;
};

/// Turns one sample into the next stage's input. Called concurrently; must be thread-safe.
class Transform {
 public:
  virtual ~Transform() = default;
  /// The layout this transform makes of samples laid out as `in` (entries may be `kVaries`), checked when
  /// the graph is assembled: the last transform must leave a fixed layout, which is the batch's.
  virtual SampleLayout output(const SampleLayout& in) const { return in; }
  /// True for element-wise transforms whose output has the input's layout: `out.allocate` then returns the
  /// input's own memory, and `apply` must read each element before it writes it.
  virtual bool in_place() const { return false; }
  /// True when `apply` may sleep (waits on a service, the network): with `threads: auto` each transform
  /// worker then gets a thread beyond the cores, as a read worker whose reads may sleep does. A transform
  /// that only computes (every built-in one) leaves it false and shares the cores.
  virtual bool may_sleep() const { return false; }
  /// Writes the transformed sample through `out`. When it throws: a DataError goes to the dataset's
  /// `on_error`, as from Source::read; any other exception ends the run as a StageError naming the transform
  /// node, batch and sample (a CudaError, StageError or StallError as thrown). The other members run while
  /// the Pipeline is built or a run starts (what they throw reaches that caller as thrown), or next to `apply`
  /// (`in_place`: it then fails the run as `apply` does).
  virtual void apply(const SampleView& in, SampleOut& out, const SampleContext& ctx) const = 0;

  /// For transforms that only move the pixels of an HWC image (crops, resizes, flips): where each output
  /// pixel of a `height` x `width` input comes from, for this sample (the same draws as `apply`), so that the
  /// device can run them fused after decode_jpeg. Nullopt (the default) for any other transform.
  virtual std::optional<PixelMap> pixel_map(std::int64_t /*height*/, std::int64_t /*width*/,
                                            const SampleContext& /*ctx*/) const {
    return std::nullopt;
  }
  /// For a decoder: the layout `apply` would give this input, read cheaply (a JPEG's header), without
  /// decoding; throws DataError for input `apply` would reject (not a JPEG, truncated). Lets a file be
  /// checked on the host before it crosses the link to be decoded on the device. Nullopt (the default): the
  /// transform cannot say without running.
  virtual std::optional<SampleLayout> inspect(const SampleView& /*in*/) const { return std::nullopt; }
};

/// One batch in the memory the compute node runs on: device memory on cuda, a host buffer on host.
struct DeviceBatchView {
  const std::byte* data = nullptr;
  std::size_t bytes = 0;
  std::int64_t samples = 0;
  SampleLayout layout;  ///< per sample; `bytes == samples * layout.bytes()`
  /// The samples' labels, one int64 each, in the same kind of memory as `data` (device memory on cuda).
  const std::int64_t* labels = nullptr;
  /// The same in host memory, and the samples' ids, in batch order. Valid until the batch completes.
  std::span<const std::int64_t> host_labels;
  std::span<const std::int64_t> sample_ids;
  std::int64_t epoch = 0;
  std::int64_t index = 0;   ///< within the epoch
  std::int64_t ticket = 0;  ///< over the whole run, 0-based
};

/// What the compute node hands a ComputeStage for one batch.
struct ComputeLaunch {
  BackendKind backend = BackendKind::host;
  DeviceBatchView batch;
  /// Where the stage must store the batch checksum (`feedgraph/checksum.hpp`): device memory on cuda
  /// (written by a kernel on `stream`), host memory on host. The engine compares it with the host's.
  std::uint64_t* checksum = nullptr;
  CUstream_st* stream = nullptr;  ///< the compute stream on cuda; null on host
  /// False when the engine will not compare `checksum` (verify: false, or a device transform changed the
  /// bytes): a stage whose checksum is extra work may then skip it.
  bool verify = true;
};

/// The work the GPU does per batch. On cuda `launch` only enqueues on `stream` (it must never wait on the
/// host); on host it runs the same computation synchronously on the compute thread.
class ComputeStage {
 public:
  virtual ~ComputeStage() = default;
  /// Bytes of scratch memory (device on cuda) the stage will allocate in `prepare`, for the memory plan.
  /// Called when a run is planned or set up: what it throws reaches that caller as thrown.
  virtual std::size_t scratch_bytes(BackendKind) const { return 0; }
  /// Allocate scratch and handles; called before each run's graph starts (a Pipeline that runs again calls
  /// it again), on the thread that runs it. What it throws reaches the caller of the run as thrown.
  virtual void prepare(BackendKind, CUstream_st* /*stream*/) {}
  /// When it throws, the run ends: on cuda a CudaError, StageError or StallError reaches the caller as
  /// thrown, any other exception as a StageError naming the compute node and the batch; on the host backend
  /// every std::exception becomes such a StageError, carrying its message (throw nothing else there).
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
/// it. Registering a name twice replaces the earlier factory. Thread-safe. Throws nothing. A factory reports
/// bad options through StageOptions (ConfigError); whatever it throws reaches the builder of the Pipeline.
void register_source(const std::string& name, SourceFactory factory);
void register_transform(const std::string& name, TransformFactory factory);
void register_compute(const std::string& name, ComputeFactory factory);

/// The names known now (built-in ones included), sorted. Throws nothing.
std::vector<std::string> source_names();
std::vector<std::string> transform_names();
std::vector<std::string> compute_names();

}  // namespace feedgraph
