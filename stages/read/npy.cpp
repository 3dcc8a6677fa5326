// `source: npy` — samples from NumPy .npy files: axis 0 indexes samples, the other axes are each sample's
// shape (a 1-D array gives scalar samples). Several files concatenate along axis 0.
//
//   dataset: {source: npy, path: data/train.npy, labels: data/train.labels.npy}
//
// Options:
//   path    a .npy file; a folder (every *.npy in it except *.labels.npy, the name make-dataset gives label
//           files); or a glob pattern (`data/x-*.npy`). Files are taken in byte-sorted name order and sample
//           ids run across them in that order. Relative paths are relative to the working directory.
//   labels  optional: a 1-D .npy of integer labels (<i8 or <i4), one per sample of all the files together;
//           without it every label is 0
//   dtype   optional: the dtype the files must hold (uint8 | int32 | float16 | float32)
//   shape   optional: the sample shape the files must hold
//
// Format versions 1.0 and 2.0; descr |u1, <i4, <f2 or <f4 (uint8, int32, float16, float32); C order only.
// Everything is checked when the source is built, and each problem is an Error naming the file: not a .npy
// file, a header that does not parse, fortran_order True, another descr, a file shorter (truncated) or longer
// than its shape says. Files that disagree on dtype or sample shape, and a label count that is not the
// sample count, fail at the option.
//
// The data are mapped read-only and each read is a memcpy out of the page cache. Unlike `source: records`
// (pread), a mapped file truncated by another program while a run reads it raises SIGBUS: .npy files are
// written once and read many times, and the mapping saves a system call per sample.
#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include <fmt/format.h>

#include "feedgraph/detail/npy_format.hpp"
#include "feedgraph/detail/npy_header.hpp"
#include "feedgraph/errors.hpp"
#include "feedgraph/stage.hpp"
#include "read/data_files.hpp"

namespace feedgraph::stages {
namespace {

namespace npy = detail::npy;

/// A read-only mapping of a whole file, unmapped on destruction.
class Mapping {
 public:
  explicit Mapping(const DataFile& file) : size_(file.size()) {
    if (size_ == 0) return;
    void* p = ::mmap(nullptr, size_, PROT_READ, MAP_SHARED, file.fd(), 0);
    if (p == MAP_FAILED) throw Error(fmt::format("{}: cannot map: {}", file.path(), error_text(errno)));
    data_ = static_cast<const std::byte*>(p);
  }
  ~Mapping() {
    if (data_) ::munmap(const_cast<std::byte*>(data_), size_);
  }
  Mapping(Mapping&& o) noexcept : data_(std::exchange(o.data_, nullptr)), size_(o.size_) {}
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  Mapping& operator=(Mapping&&) = delete;

  const std::byte* data() const { return data_; }

 private:
  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

struct NpyFile {
  std::string path;
  SampleLayout layout;        ///< one sample: the array's shape without axis 0
  std::int64_t samples = 0;   ///< the array's axis 0
  std::uint64_t data_offset = 0;
  Mapping mapping;
  std::int64_t first_id = 0;
};

/// Reads and parses the header at the start of `file` (npy_header.hpp).
npy::Header read_header(const DataFile& file) {
  std::byte prefix[npy::kPrefixBytes]{};
  const std::int64_t got = file.read_at(prefix, 0);
  if (got < 0) throw Error(fmt::format("{}: cannot read: {}", file.path(), error_text(static_cast<int>(-got))));
  const std::uint64_t offset = npy::data_offset({prefix, static_cast<std::size_t>(got)}, file.size(), file.path());
  std::vector<std::byte> start(offset);
  file.read_exactly(start, 0);
  return npy::parse_header(start, file.size(), file.path());
}

NpyFile open_npy(std::string path) {
  DataFile file(std::move(path));
  npy::SampleArray a = npy::sample_array(read_header(file), file.size(), file.path());
  Mapping mapping(file);  // the mapping keeps the file's pages; the descriptor may close
  return NpyFile{file.path(), std::move(a.layout), a.samples, a.data_offset, std::move(mapping), 0};
}

/// The labels file: a 1-D array of <i8 or <i4, `samples` long.
std::vector<std::int64_t> read_labels(const StageOptions& o, const std::string& path, std::int64_t samples) {
  DataFile file(path);
  const npy::Header h = read_header(file);
  const bool i8 = h.descr == "<i8", i4 = h.descr == "<i4";
  if (!i8 && !i4) throw Error(fmt::format("{}: labels must be <i8 or <i4, not descr '{}'", path, h.descr));
  if (h.shape.size() != 1) throw Error(fmt::format("{}: labels must be a 1-D array, not {}-D", path, h.shape.size()));
  if (h.shape[0] != samples)
    o.fail("labels",
           fmt::format("{} holds {} labels for {} samples: one per sample is needed", path, h.shape[0], samples));
  const std::uint64_t item = i8 ? 8 : 4;
  npy::check_data_length(h, item * static_cast<std::uint64_t>(samples), file.size(), path);
  std::vector<std::int64_t> labels(static_cast<std::size_t>(samples));
  if (i8) {
    file.read_exactly(std::as_writable_bytes(std::span(labels)), h.data_offset);
  } else {
    std::vector<std::int32_t> narrow(labels.size());
    file.read_exactly(std::as_writable_bytes(std::span(narrow)), h.data_offset);
    std::copy(narrow.begin(), narrow.end(), labels.begin());
  }
  return labels;
}

class NpySource final : public Source {
 public:
  NpySource(std::vector<NpyFile> files, std::vector<std::int64_t> labels)
      : files_(std::move(files)), labels_(std::move(labels)) {
    std::int64_t next = 0;
    for (NpyFile& f : files_) {
      f.first_id = next;
      next += f.samples;
    }
    size_ = next;
    layout_ = files_.front().layout;
    sample_bytes_ = layout_.bytes();
  }

  SampleLayout layout() const override { return layout_; }
  std::int64_t size() const override { return size_; }
  std::vector<DataFileIdentity> files() const override {
    // The bytes the samples take (header and data): a file that changed shape or dtype changes them.
    std::vector<DataFileIdentity> out;
    for (const NpyFile& f : files_)
      out.push_back({f.path, f.data_offset + static_cast<std::uint64_t>(f.samples) * sample_bytes_});
    return out;
  }
  std::int64_t label(std::int64_t id) const override {
    return labels_.empty() ? 0 : labels_[static_cast<std::size_t>(id)];
  }
  std::string where(std::int64_t id) const override {
    const auto [file, offset] = locate(id);
    return file_offset(file.path, offset);
  }
  void read(std::int64_t id, SampleOut& out) const override {
    const auto [file, offset] = locate(id);
    const std::span<std::byte> dst = out.allocate(layout_);
    std::memcpy(dst.data(), file.mapping.data() + offset, sample_bytes_);
  }

 private:
  struct Location {
    const NpyFile& file;
    std::uint64_t offset;
  };
  Location locate(std::int64_t id) const {
    if (id < 0 || id >= size_) throw Error(fmt::format("npy: sample id {} is outside [0, {})", id, size_));
    const auto it = std::upper_bound(files_.begin(), files_.end(), id,
                                     [](std::int64_t v, const NpyFile& f) { return v < f.first_id; });
    const NpyFile& file = *std::prev(it);
    return {file, file.data_offset + static_cast<std::uint64_t>(id - file.first_id) * sample_bytes_};
  }

  std::vector<NpyFile> files_;
  std::vector<std::int64_t> labels_;
  SampleLayout layout_;
  std::size_t sample_bytes_ = 0;
  std::int64_t size_ = 0;
};

bool same_file(const std::string& a, const std::string& b) {
  std::error_code ec;
  return std::filesystem::equivalent(a, b, ec);
}

}  // namespace

std::unique_ptr<Source> make_npy(const StageOptions& o, const StageContext&) {
  const std::string labels_path = o.text("labels", "");
  std::vector<NpyFile> files;
  for (auto& path : data_files(o, "path", ".npy", ".labels.npy")) {
    // A glob such as `data/*.npy` also matches the labels file: it is not data.
    if (!labels_path.empty() && same_file(path, labels_path)) continue;
    files.push_back(open_npy(std::move(path)));
  }
  if (files.empty()) o.fail("path", "names only the labels file");
  const NpyFile& first = files.front();
  std::int64_t total = 0;
  for (const NpyFile& f : files) {
    if (f.layout != first.layout) {
      o.fail("path", fmt::format("{} holds samples of {} but {} holds {}: every file must hold the same layout",
                                 first.path, first.layout.describe(), f.path, f.layout.describe()));
    }
    total += f.samples;
  }
  check_expected_layout(o, first.layout, first.path);
  if (total == 0) o.fail("path", fmt::format("{}{}: no samples", first.path, files.size() > 1 ? " and the rest" : ""));
  std::vector<std::int64_t> labels;
  if (!labels_path.empty()) labels = read_labels(o, labels_path, total);
  return std::make_unique<NpySource>(std::move(files), std::move(labels));
}

}  // namespace feedgraph::stages
