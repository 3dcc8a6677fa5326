#pragma once
// A validated pipeline: what a YAML file says, with defaults filled in.
//
//   auto spec = feedgraph::load_pipeline("graphs/seed.yaml", {"concurrency.read=8"});
//   auto twin = feedgraph::serial_twin(spec);     // the baseline: same nodes, run serially
//
// Parsing is strict: unknown keys, duplicate keys, wrong types and out-of-range values throw ConfigError
// with `file:line:col: key.path: message`. Stage options (dataset, transforms, compute) are checked when the
// stages are built, which `feedgraph::plan()` does without allocating anything.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "feedgraph/options.hpp"

namespace feedgraph {

/// `auto` | `cuda` | `cuda:N` | `host`
struct DeviceSelection {
  enum class Kind { automatic, cuda, host };
  Kind kind = Kind::automatic;
  int index = 0;
  /// "auto", "host" or "cuda:N" (always with the ordinal). Throws nothing.
  std::string text() const;
};
DeviceSelection parse_device(std::string_view text);  // throws Error on anything else

/// A stage named in the file, with its own options block.
struct StageSpec {
  std::string name;
  StageOptions options;
};

/// Workers per node; 0 means `auto` (see PipelineSpec::auto_keys()).
struct ConcurrencySpec {
  int read = 4;
  int transform = 4;
  int pin = 2;
  bool operator==(const ConcurrencySpec&) const = default;
};

/// The value `auto` takes in concurrency.read, .transform, .pin and prefetch: chosen by a short tune when the
/// pipeline starts (feedgraph/tools/tune.hpp, resolve_auto). plan() and run() refuse a spec that still holds it.
inline constexpr int kAuto = 0;

/// The transfer techniques of PyTorch's input pipelines, as switches.
struct TransferSpec {
  bool pinned = true;        ///< stage batches in page-locked slots (pin_memory=True)
  bool non_blocking = true;  ///< asynchronous copies; off: copy then wait for the stream (non_blocking=False)
  bool copy_stream = true;   ///< copies on their own stream; off: on the compute stream
  /// With `pinned`: the host buffers themselves are page-locked, so read and transform write straight into
  /// pinned memory and no pin copy is made (DALI's way; PyTorch's pin_memory copies, which is `false`).
  /// It saves a memcpy per byte, the difference between feeding PCIe Gen5 and not, for prefetch × batch
  /// bytes of page-locked memory.
  bool direct = false;
  bool operator==(const TransferSpec&) const = default;
};

/// Pool sizes; 0 means derived (see `PipelineSpec::pinned_slots()` and `device_buffers()`).
struct BufferSpec {
  int pinned = 0;
  int device = 0;
  bool operator==(const BufferSpec&) const = default;
};

/// `dataset.shard`: which part of the dataset this process reads, when several processes (ranks) share it.
/// Shards are disjoint and together cover the dataset; rank r of n takes positions r, r+n, r+2n, ... of each
/// epoch's order (after the shuffle), as PyTorch's DistributedSampler does.
struct ShardSpec {
  /// `shard: auto`: index and count from the launcher's environment (RANK/WORLD_SIZE of torchrun,
  /// OMPI_COMM_WORLD_RANK/SIZE of Open MPI, PMI_RANK/PMI_SIZE, SLURM_PROCID/SLURM_NTASKS); one shard of one
  /// when none is set.
  bool automatic = false;
  int index = 0;
  int count = 1;
  /// When count does not divide the dataset: `pad` gives every shard ceil(N/count) samples, the last ones
  /// repeating the epoch's first; `drop` gives every shard floor(N/count) and leaves the rest out.
  enum class Uneven { pad, drop } uneven = Uneven::pad;
};

/// The `dataset` keys that belong to the engine rather than to the source.
struct DatasetPolicy {
  bool shuffle = false;  ///< a fresh permutation each epoch, from (seed, epoch) alone
  ShardSpec shard;
  /// Bad data (DataError): `fail` ends the run naming the file and offset; `skip` leaves the sample out of
  /// its batch, counts and reports it, and fails once more than `max_skipped` samples were skipped.
  enum class OnError { fail, skip } on_error = OnError::fail;
  std::int64_t max_skipped = 100;
  /// Read every sample once, before the run, into memory (page-locked when transfer.pinned and batches go
  /// straight from it), and serve every epoch from there: without host transforms or shuffle, the copy reads
  /// a batch straight from the cache and nothing is rewritten per batch. Samples that vary in size (encoded
  /// files) are cached at their own size, so transforms such as decode_jpeg run without touching storage.
  bool cache = false;
};

/// One entry of `faults:`, a failure the run injects on purpose, to show how the engine fails (tests,
/// drills, a new machine). Off by default; `feedgraph run` says when a file injects any.
///
///   faults:
///     - {kind: throw, node: transform, batch: 5}      # that node's body throws at batch 5
///     - {kind: stall, node: read, batch: 3}           # stops there until the watchdog ends the run
///     - {kind: stall, node: pin, batch: 3, seconds: 0.5}  # stops for half a second, then goes on
///     - {kind: trap, batch: 2}                        # the compute stream traps (a device fault) at batch 2
///     - {kind: slow_consumer, seconds: 0.01}          # compute takes 10 ms more per batch, from batch 0 on
///     - {kind: refuse_alloc, memory: pinned}          # allocating the pinned slots fails (host|pinned|device)
///     - {kind: vanish, batch: 4}                      # from batch 4 on, every sample's file is gone
struct FaultSpec {
  enum class Kind { throw_error, stall, trap, slow_consumer, refuse_alloc, vanish };
  Kind kind = Kind::throw_error;
  std::string node;        ///< throw, stall: read | transform | pin | copy | compute
  std::int64_t batch = 0;  ///< the ticket it strikes at (slow_consumer, vanish: from this ticket on)
  /// stall: how long (0: until the watchdog ends the run); slow_consumer: extra compute time per batch.
  double seconds = 0;
  std::string memory;      ///< refuse_alloc: host | pinned | device
  /// "throw at transform batch 5", for logs and messages. Throws nothing.
  std::string text() const;
};

struct PipelineSpec {
  std::string name = "pipeline";
  std::string origin;  ///< the file it came from, for messages
  DeviceSelection device;
  std::int64_t batch_size = 256;
  int epochs = 1;
  bool drop_last = false;  ///< drop a last, partial batch of each epoch
  std::uint64_t seed = 0;  ///< the run's seed: the shuffle and every random transform draw from it
  StageSpec dataset;       ///< name = `dataset.source`
  DatasetPolicy data;      ///< dataset.shuffle, .shard, .on_error, .max_skipped, .cache
  std::vector<StageSpec> transforms;
  /// Run on the GPU after the copy (cast, to_chw, normalize), so that the link carries the compact form:
  /// uint8 HWC images cross as a quarter of their float32 bytes. `verify` checks the bytes that crossed.
  std::vector<StageSpec> device_transforms;
  ConcurrencySpec concurrency;
  int prefetch = 4;  ///< host buffers: batches in flight between read and pin (or the copy, unpinned); kAuto: tuned
  TransferSpec transfer;
  BufferSpec buffers;
  StageSpec compute;  ///< name = `compute.kernel`
  bool ordered = true;
  bool verify = true;
  std::uint64_t memory_budget = 0;  ///< bytes; 0 = no budget
  double watchdog_s = 60.0;         ///< no progress for this long is an error naming the stalled node
  /// Threads that run the graph's node bodies; 0 (`auto`): one per read worker whose reads may sleep on
  /// storage (Source::read_may_sleep) and per transform worker whose transforms may (Transform::may_sleep),
  /// plus one per computing body (transforms where there are host transforms, pin as wide as a batch's 4 MiB
  /// chunks, the other reads, and one for the serial nodes) up to the cores, and no more: a thread with no
  /// body to run spins on a core. The copy engine and compute stream are not among them.
  int threads = 0;
  std::vector<FaultSpec> faults;  ///< `faults:`: failures to inject on purpose; empty in production
  /// The file's top-level mapping, so that an error a top-level key decides after parsing (a plan over
  /// `memory_budget`, a shard past the world size) points at that key: `top.fail("memory_budget", message)`
  /// throws ConfigError with its file:line:col, or names the `--set` override that wrote it.
  StageOptions top;

  /// Pinned staging slots: `buffers.pinned`, else pin concurrency + 1 (one slot being copied while every
  /// pin worker fills another); 0 when transfer.pinned is off, transfer.direct is on, or batches come
  /// straight from a (page-locked) dataset cache. Throws nothing.
  int pinned_slots() const;
  /// True when batches go to the link straight out of `dataset.cache` (no host transform, no shuffle, one
  /// shard): no host buffer, and no pin copy either when the cache is page-locked. Throws nothing.
  bool batches_from_cache() const;
  /// `device_transforms` starts with decode_jpeg: encoded files cross the link packed (a ragged batch).
  bool decodes_on_device() const;
  /// Device buffers: `buffers.device`, else 2 (one being copied into while the kernel reads the other); with
  /// decode_jpeg on the device, its `lanes` + 2, so that every lane has a batch to decode. Throws nothing.
  int device_buffers() const;
  /// The keys written `auto` (kAuto), in file order: "concurrency.read", "concurrency.transform",
  /// "concurrency.pin", "prefetch". Empty when every one has a number. Throws nothing.
  std::vector<std::string> auto_keys() const;
  /// `serial` when this is a serial twin (every concurrency 1, prefetch 1, switches off), else `concurrent`.
  /// Throws nothing.
  std::string variant() const;
};

/// Read and validate a pipeline file; `overrides` are `key.path=value` strings applied before validation.
/// Throws ConfigError for every problem: at file:line:col, at the `--set` override that wrote the value, or
/// naming the file alone when it cannot be read or is no pipeline at all. Stage options are not checked here.
PipelineSpec load_pipeline(const std::string& path, const std::vector<std::string>& overrides = {});
/// The same from text; `origin` names it in messages. Throws ConfigError as load_pipeline does.
PipelineSpec parse_pipeline(std::string_view yaml, const std::string& origin,
                            const std::vector<std::string>& overrides = {});

/// The serial twin: every concurrency 1, prefetch 1, one device buffer, and the three transfer
/// switches off (so no pinned slots: the copy reads the pageable host buffer). Everything else, the stages
/// included, is unchanged. Throws nothing.
PipelineSpec serial_twin(const PipelineSpec& spec);

/// "4GiB", "512 MiB", "1048576", "2.5GB" → bytes. Throws Error on anything else.
std::uint64_t parse_byte_size(std::string_view text);
/// 1610612736 → "1.50 GiB". Throws nothing.
std::string format_bytes(std::uint64_t bytes);

}  // namespace feedgraph
