#pragma once
// What the dataset writers share: the synthetic samples they write, and an output file that appears under
// its name only once it is complete.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "feedgraph/tools/make_dataset.hpp"
#include "feedgraph/stage.hpp"

namespace feedgraph::detail {

/// `source: synthetic` with the dataset's shape, dtype and seed, built through the registry like a pipeline's,
/// so that sample i written is byte for byte what a pipeline reading synthetic sample i gets.
class SyntheticSamples {
 public:
  explicit SyntheticSamples(const MakeDatasetOptions& options);
  /// Writes sample `id` into `dst`, which must be exactly one sample long.
  void fill(std::int64_t id, std::span<std::byte> dst) const;
  std::size_t sample_bytes() const { return layout_.bytes(); }

 private:
  std::unique_ptr<Source> source_;
  SampleLayout layout_;
};

/// A file written under a temporary name in its final folder (`NAME.tmp-PID`) and renamed over `path` by
/// commit(): a crash, an exception or a full disk never leaves a partial file under the final name. Without
/// commit() the destructor removes the temporary file.
class OutputFile {
 public:
  /// Throws Error naming `path` when the temporary file cannot be created.
  explicit OutputFile(std::string path);
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  /// Appends `bytes`; throws Error naming the file on a write error (a full disk, say).
  void write(std::span<const std::byte> bytes);
  /// Flushes to the device and renames over the final name; returns the bytes written.
  std::uint64_t commit();

 private:
  std::string path_, temp_;
  int fd_ = -1;
  std::uint64_t written_ = 0;
};

/// How many whole items of `item_bytes` one write chunk holds: about 4 MiB, at least one. The writers fill
/// a chunk, write it, and reuse it, so a dataset of any size needs one chunk of memory.
std::size_t items_per_chunk(std::size_t item_bytes);

/// Creates the folder that will hold `path` (when it has one), or throws Error naming it.
void make_parent_folder(const std::string& path);

}  // namespace feedgraph::detail
