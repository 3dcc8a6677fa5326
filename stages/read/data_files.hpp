#pragma once
// What the file-backed sources (records, npy) share: turning a `path` option into a sorted list of files,
// an open file read with pread from any thread, and the optional `dtype`/`shape` check.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "feedgraph/layout.hpp"
#include "feedgraph/options.hpp"

namespace feedgraph::stages {

/// A read-only file descriptor, closed on destruction. pread keeps no file position, so one DataFile
/// serves every read worker at once.
class DataFile {
 public:
  /// Throws Error naming the file when it cannot be opened (missing, permissions) or is not a regular file.
  explicit DataFile(std::string path);
  ~DataFile();
  DataFile(DataFile&& other) noexcept;
  DataFile& operator=(DataFile&&) = delete;
  DataFile(const DataFile&) = delete;
  DataFile& operator=(const DataFile&) = delete;

  const std::string& path() const { return path_; }
  int fd() const { return fd_; }
  /// The size when the file was opened.
  std::uint64_t size() const { return size_; }

  /// Reads up to `dst.size()` bytes at `offset`, going on after partial reads; returns how many were read
  /// (fewer at the end of the file). On an I/O error returns -errno.
  std::int64_t read_at(std::span<std::byte> dst, std::uint64_t offset) const;
  /// Reads exactly `dst.size()` bytes or throws Error naming the file (for open-time reads).
  void read_exactly(std::span<std::byte> dst, std::uint64_t offset) const;

 private:
  std::string path_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

/// The files option `key` names, sorted by name (byte order, not the locale's): the file itself; every
/// regular file ending in `extension` in a folder (`skip_suffix`, when set, leaves out names ending in it);
/// or every regular file a glob(3) pattern matches (a path with `*`, `?` or `[`). Fails at the option when it
/// names nothing that exists, a folder without such files, or a pattern that matches no file.
std::vector<std::string> data_files(const StageOptions& o, std::string_view key, std::string_view extension,
                                    std::string_view skip_suffix = {});

/// "data/a.rec offset 4096": where a sample lives, for messages.
std::string file_offset(const std::string& file, std::uint64_t offset);

/// When the options name `dtype` and/or `shape`, the file must hold exactly that, else the option fails
/// naming the file and what it holds. Lets a pipeline pin down what it expects of data it did not write.
void check_expected_layout(const StageOptions& o, const SampleLayout& found, const std::string& file);

/// `message` of errno `err`, e.g. "Permission denied".
std::string error_text(int err);

}  // namespace feedgraph::stages
