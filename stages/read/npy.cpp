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

#include "dataset/npy_format.hpp"
#include "feedgraph/errors.hpp"
#include "feedgraph/stage.hpp"
#include "read/data_files.hpp"
#include "read/npy_header.hpp"

namespace feedgraph::stages {
namespace {

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

/// The byte count of `samples` samples of `layout`, or an Error naming the file when it overflows.
std::uint64_t data_bytes(const std::string& path, const SampleLayout& layout, std::int64_t samples) {
  std::uint64_t bytes = dtype_size(layout.dtype);
  for (std::int64_t d : layout.shape) {
    if (__builtin_mul_overflow(bytes, static_cast<std::uint64_t>(d), &bytes)) bytes = ~std::uint64_t{0};
  }
  std::uint64_t total = 0;
  if (__builtin_mul_overflow(bytes, static_cast<std::uint64_t>(samples), &total) || total > (std::uint64_t{1} << 62))
    throw Error(fmt::format("{}: the array's shape makes it impossibly large", path));
  return total;
}

/// Checks the file's size against its header: neither short (truncated) nor long.
void check_length(const DataFile& file, const NpyHeader& h, std::uint64_t bytes) {
  const std::uint64_t have = file.size() - std::min(file.size(), h.data_offset);
  if (have < bytes) {
    throw Error(fmt::format("{}: the header says {} bytes of data from offset {}, the file holds {}: truncated",
                            file.path(), bytes, h.data_offset, have));
  }
  if (have > bytes) {
    throw Error(fmt::format("{}: {} bytes after the array's data (several arrays saved to one file?)", file.path(),
                            have - bytes));
  }
}

NpyFile open_npy(std::string path) {
  DataFile file(std::move(path));
  const NpyHeader h = read_npy_header(file);
  if (h.fortran_order)
    throw Error(fmt::format("{}: fortran_order is True: only C-ordered arrays are read (save np.ascontiguousarray(a))",
                            file.path()));
  const auto dtype = detail::npy::dtype_of_descr(h.descr);
  if (!dtype) {
    throw Error(fmt::format("{}: unsupported descr '{}' (|u1, <i4, <f2 and <f4 are read: uint8, int32, float16, "
                            "float32, little-endian)",
                            file.path(), h.descr));
  }
  if (h.shape.empty()) throw Error(fmt::format("{}: a 0-d array has no sample axis", file.path()));
  SampleLayout layout{std::vector<std::int64_t>(h.shape.begin() + 1, h.shape.end()), *dtype};
  if (layout.elements() == 0 && h.shape[0] > 0)
    throw Error(fmt::format("{}: samples of {} hold no element", file.path(), layout.describe()));
  check_length(file, h, data_bytes(file.path(), layout, h.shape[0]));
  Mapping mapping(file);  // the mapping keeps the file's pages; the descriptor may close
  return NpyFile{file.path(), std::move(layout), h.shape[0], h.data_offset, std::move(mapping), 0};
}

/// The labels file: a 1-D array of <i8 or <i4, `samples` long.
std::vector<std::int64_t> read_labels(const StageOptions& o, const std::string& path, std::int64_t samples) {
  DataFile file(path);
  const NpyHeader h = read_npy_header(file);
  const bool i8 = h.descr == "<i8", i4 = h.descr == "<i4";
  if (!i8 && !i4) throw Error(fmt::format("{}: labels must be <i8 or <i4, not descr '{}'", path, h.descr));
  if (h.shape.size() != 1) throw Error(fmt::format("{}: labels must be a 1-D array, not {}-D", path, h.shape.size()));
  if (h.shape[0] != samples)
    o.fail("labels",
           fmt::format("{} holds {} labels for {} samples: one per sample is needed", path, h.shape[0], samples));
  const std::uint64_t item = i8 ? 8 : 4;
  check_length(file, h, item * static_cast<std::uint64_t>(samples));
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
