#pragma once
// Where a pipeline stands, to go on from there after a preemption or a crash: saved mid-epoch, resumed
// exactly. Every order and random transform is drawn from (seed, epoch, sample id), so the state is small:
// the epoch, how far into it the consumer got, the shard layout, and a fingerprint of everything that
// decides what is delivered.
//
//   feedgraph::save_state(pipeline.state(), "ckpt/loader.json");     // atomic: temp file, fsync, rename
//   ...
//   auto pipeline = feedgraph::Pipeline::from_file("graphs/images.yaml");
//   pipeline.resume(feedgraph::load_state("ckpt/loader.json"));      // the next run goes on from there
//
// Consumed means handed to the consumer: a batch taken from Pipeline::batches() (or Python's loop), or one the
// compute stage (or a push function) ran. A training loop has used every batch it was handed by the time it
// asks for the state; batches only prefetched are not counted.
//
// The same world size resumes each rank's own stream: the batches after the state are those the
// uninterrupted run would have delivered, byte for byte. States saved by N ranks resume on M ranks: the
// samples of the interrupted epoch that no rank consumed are dealt out over the M shards (new rank q takes
// every M-th of them, in the epoch's order, from the q-th), `uneven: pad|drop` applied to the remainder; later
// epochs are plain M-shard epochs. What training needs is the union over ranks (each sample once per epoch);
// a per-rank stream cannot be kept when N changes, since rank r's samples are every N-th of the order.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "feedgraph/spec.hpp"
#include "feedgraph/stage.hpp"

namespace feedgraph {

/// A run of consecutive files of a large dataset, as a fingerprint records them: enough to say where the data
/// changed without listing a million files in every state.
struct DataFileGroup {
  std::string first;          ///< the run's first file
  std::int64_t files = 0;     ///< how many files the run holds
  std::uint64_t bytes = 0;    ///< their sizes, summed
  std::uint64_t digest = 0;   ///< FNV-1a over each file's path and size, in order
  bool operator==(const DataFileGroup&) const = default;
};

/// What decides the order and the bytes delivered. Concurrency, prefetch, threads, buffers, the transfer
/// switches and the epoch count are not in it: they never change what a batch holds.
struct StateFingerprint {
  /// Up to this many files are listed one by one; more are recorded as kFileGroups runs of files, so that a
  /// state stays a few kilobytes for an ImageNet folder (and state() a few microseconds).
  static constexpr std::size_t kListedFiles = 256, kFileGroups = 256;
  std::string source;                 ///< dataset.source
  std::int64_t samples = 0;           ///< the dataset's samples, every shard
  std::string layout;                 ///< "3x8x8 float32" as the source produces it
  std::uint64_t data_bytes = 0;       ///< what the files hold in all (file sources)
  std::int64_t file_count = 0;        ///< the files the source reads (file sources)
  std::vector<DataFileIdentity> files;  ///< each file and its size, when there are at most kListedFiles
  std::vector<DataFileGroup> file_groups;  ///< beyond that: kFileGroups runs of consecutive files
  bool shuffle = false;
  std::uint64_t seed = 0;
  std::int64_t batch_size = 0;
  bool drop_last = false;
  std::string on_error;               ///< fail | skip
  std::vector<std::string> transforms;         ///< each host transform with its options, canonical YAML
  std::vector<std::string> device_transforms;  ///< likewise
  bool operator==(const StateFingerprint&) const = default;
};

/// An epoch dealt out again after a change of world size: the layout it was dealt from.
struct DealtEpoch {
  int world = 1;                       ///< the old world size
  std::vector<std::int64_t> positions;  ///< each old rank's positions consumed in the epoch
  bool operator==(const DealtEpoch&) const = default;
};

struct PipelineState {
  static constexpr std::string_view format = "feedgraph.state/1";
  std::string graph;                  ///< the pipeline's name (informative: the fingerprint decides)
  StateFingerprint fingerprint;
  int shard_index = 0, shard_count = 1;
  ShardSpec::Uneven uneven = ShardSpec::Uneven::pad;
  std::int64_t epoch = 0;             ///< the epoch to go on with
  std::int64_t batches = 0;           ///< batches of that epoch consumed (this rank's)
  std::int64_t position = 0;          ///< positions of this rank's order in that epoch consumed
  std::optional<DealtEpoch> dealt;    ///< that epoch was dealt out from another world size
  bool operator==(const PipelineState&) const = default;
};

/// The fingerprint of a source's files: listed, or in groups past StateFingerprint::kListedFiles. Sets
/// file_count, data_bytes, files and file_groups. Throws nothing but bad_alloc.
void fingerprint_files(StateFingerprint& fingerprint, const std::vector<DataFileIdentity>& files);

/// The state as its JSON document (keys: format, graph, fingerprint, shard, epoch, batches, position, dealt).
std::string state_json(const PipelineState& state);
/// Parses a state document; `origin` names it in messages. Throws Error for text that is not a
/// feedgraph.state/1 document (garbage, truncated, another format or version, a key missing or mistyped).
PipelineState parse_state(std::string_view text, const std::string& origin = "<state>");
/// Writes the state atomically: a temp file beside `path`, fsync, rename, so a crash while writing leaves the
/// previous state. Throws Error naming the path when it cannot be written.
void save_state(const PipelineState& state, const std::string& path);
/// Reads and parses a state file. Throws Error naming the path (unreadable) or what is wrong in it.
PipelineState load_state(const std::string& path);

/// What differs between a saved fingerprint and a pipeline's, one clause per difference ("file data/a.rec
/// was 4096 bytes, now 2048", "a file among the 5005 from data/n015/x.jpg (files 10010 to 15014) was renamed,
/// replaced or changed size", "transforms[1] was {random_resized_crop: {size: 224}}, now ..."); empty when
/// they match. Throws nothing but bad_alloc.
std::vector<std::string> fingerprint_differences(const StateFingerprint& saved, const StateFingerprint& now);

}  // namespace feedgraph
