#pragma once
// What may change between runs of one built pipeline: concurrency per node, prefetch, the transfer switches,
// buffer counts, threads, the memory budget and how long to run. None of it changes what is delivered (the
// batches, their samples, labels and bytes); all of it changes how fast.
//
//   auto pipeline = feedgraph::Pipeline::from_file("graphs/seed.yaml");   // stages built once
//   feedgraph::RunSettings s = pipeline.settings();                       // the file's
//   auto twin = pipeline.run(s.serial());                                 // the baseline
//   s.concurrency.read = 8;
//   s.prefetch = 8;
//   auto wide = pipeline.run(s);                                          // the same stages, wider
//
// A pipeline is built (its files listed, its stages and sample order made) once; each run takes a settings
// value, and Pipeline::plan(settings) says what that run will hold before it allocates anything.
#include <cstdint>
#include <string>
#include <vector>

#include "feedgraph/spec.hpp"

namespace feedgraph {

/// A run shorter than its plan, for tuning trials and quick looks. Tickets stop being issued once
/// `max_batches` have been (0: every batch of the plan), or once `max_seconds` have passed since the graph
/// started (0: no time limit) and at least `min_batches` have been issued. Every batch issued finishes, so
/// the report covers exactly the batches delivered (RunStats::batches). Not for pulling runs: a consumer
/// ends those with Pipeline::stop().
struct RunLimit {
  std::int64_t max_batches = 0;
  double max_seconds = 0;
  std::int64_t min_batches = 0;
  bool active() const { return max_batches > 0 || max_seconds > 0; }
  bool operator==(const RunLimit&) const = default;
};

/// The settings of one run. RunSettings::of(spec) reads them off a pipeline file; a program, `feedgraph
/// tune`, `feedgraph ablate` and the serial twin vary them without building the pipeline again.
struct RunSettings {
  ConcurrencySpec concurrency;  ///< workers per node; kAuto where the file says `auto`
  int prefetch = 4;             ///< host buffers: batches in flight between read and pin; kAuto: tuned
  TransferSpec transfer;
  BufferSpec buffers;
  int threads = 0;              ///< threads for the node bodies; 0: auto (see PipelineSpec::threads)
  int epochs = 0;               ///< passes over the dataset; 0: the file's `epochs`
  std::uint64_t memory_budget = 0;  ///< bytes; 0: none. A plan over it is refused before anything is allocated
  RunLimit limit;               ///< stop early (tuning trials); inactive: every batch of the plan

  /// The file's settings: its concurrency, prefetch, transfer, buffers, threads and memory_budget. Throws
  /// nothing.
  static RunSettings of(const PipelineSpec& spec);

  /// The serial twin of these settings: every concurrency 1, prefetch 1, one pinned slot and one device
  /// buffer, and the three transfer switches off (so no pinned slots: the copy reads the pageable host
  /// buffer). Threads, epochs, the budget and the limit stay. Throws nothing.
  RunSettings serial() const;
  /// `serial` when these are a serial twin's (every concurrency 1, prefetch 1, switches off), else `concurrent`.
  /// Throws nothing.
  std::string variant() const;
  /// The keys still `auto` (kAuto), in file order: "concurrency.read", "concurrency.transform",
  /// "concurrency.pin", "prefetch". Empty when every one has a number. Throws nothing.
  std::vector<std::string> auto_keys() const;

  bool operator==(const RunSettings&) const = default;
};

/// Which nodes and pools a run has: the one answer to "is there a pin node?", derived from the settings
/// and the dataset's policy. Plan::shape carries it for every run.
struct GraphShape {
  /// Batches go to the link straight out of `dataset.cache` (no host transform, no shuffle, one shard):
  /// no host buffer is filled per batch.
  bool from_cache = false;
  bool cache_pinned = false;  ///< the cache itself is page-locked (from_cache with transfer.pinned)
  bool direct = false;        ///< transfer.direct: host buffers are page-locked, read writes straight into them
  bool pin_node = false;      ///< a pin node copies each batch into a page-locked slot
  int pinned_slots = 0;       ///< buffers.pinned, else pin concurrency + 1; 0 without a pin node
  /// buffers.device, else 2 (one copied into while the kernel reads the other); with decode_jpeg on the device,
  /// its lanes + 2 (a buffer for each batch decoding, one copied into, one held by a pulling loop)
  int device_buffers = 2;

  /// Throws nothing; `settings` may hold kAuto (a pin concurrency of `auto` derives 1 slot).
  static GraphShape of(const PipelineSpec& spec, const RunSettings& settings);
};

}  // namespace feedgraph
