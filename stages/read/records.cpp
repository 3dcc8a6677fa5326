// `source: records` — fixed-size records from one or more feedgraph record files (`*.rec`), as written by
// `feedgraph make-dataset --kind records`. The format is in engine/src/dataset/record_format.hpp: a 4 KiB
// header (magic "FGRECORD", version, dtype, count, a labels flag, shape), then records of an optional int64
// label and the sample's bytes.
//
//   dataset: {source: records, path: data/train, dtype: uint8, shape: [3, 32, 32]}
//
// Options:
//   path    a .rec file; a folder (every *.rec in it); or a glob pattern (`data/train-*.rec`). Files are
//           taken in byte-sorted name order and sample ids run across them in that order. Relative paths
//           are relative to the working directory.
//   dtype   optional: the dtype the files must hold (uint8 | int32 | float16 | float32)
//   shape   optional: the sample shape the files must hold
//
// Every file is opened and its header checked when the source is built: a missing or unreadable file, bad
// magic, an unknown version, or a size that disagrees with the header's count (truncated, or bytes after the
// last record) is an Error naming the file; shards that disagree on dtype, shape or labels, and a mismatch
// with `dtype`/`shape`, fail at the option naming the files. We refuse a truncated file rather than serve
// its whole records: a short file is a failed copy or a crashed writer, and training on part of it without
// a word would be worse than stopping. A record that cannot be read later (the file shrank under us, an I/O
// error) is a DataError naming file and offset, which `on_error: skip` may skip.
//
// Samples are read with pread, one call per sample at a computed offset: thread-safe, no shared position,
// and a file that changes under a run gives a short read, never a SIGBUS as a mapping would.
#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "feedgraph/detail/record_format.hpp"
#include "feedgraph/errors.hpp"
#include "feedgraph/stage.hpp"
#include "read/data_files.hpp"

namespace feedgraph::stages {
namespace {

namespace rf = detail::records;

struct Shard {
  DataFile file;
  rf::RecordHeader header;
  std::int64_t first_id = 0;  ///< the dataset id of its record 0
};

Shard open_shard(std::string path) {
  DataFile file(std::move(path));
  std::array<std::byte, rf::kMaxHeaderBytes> start{};
  const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(file.size(), start.size()));
  file.read_exactly({start.data(), want}, 0);
  const rf::DecodedHeader decoded = rf::decode_file({start.data(), want}, file.size());
  if (!decoded.error.empty()) throw Error(fmt::format("{}: {}", file.path(), decoded.error));
  return Shard{std::move(file), decoded.header, 0};
}

class RecordsSource final : public Source {
 public:
  explicit RecordsSource(std::vector<Shard> shards) : shards_(std::move(shards)) {
    std::int64_t next = 0;
    for (Shard& s : shards_) {
      s.first_id = next;
      next += static_cast<std::int64_t>(s.header.count);
    }
    size_ = next;
    layout_ = shards_.front().header.layout;
  }

  SampleLayout layout() const override { return layout_; }
  std::int64_t size() const override { return size_; }

  std::int64_t label(std::int64_t id) const override {
    const auto [shard, offset] = locate(id);
    if (!shard.header.labels) return 0;
    std::array<std::byte, rf::kLabelBytes> bytes{};
    const std::int64_t n = shard.file.read_at(bytes, offset);
    if (n != static_cast<std::int64_t>(bytes.size())) throw DataError(where(id), failed_read("label", n, bytes.size()));
    return static_cast<std::int64_t>(rf::get_u64(bytes.data()));
  }

  std::string where(std::int64_t id) const override {
    const auto [shard, offset] = locate(id);
    return file_offset(shard.file.path(), offset);
  }
  std::vector<DataFileIdentity> files() const override {
    std::vector<DataFileIdentity> out;
    for (const Shard& s : shards_) out.push_back({s.file.path(), s.file.size()});
    return out;
  }

  void read(std::int64_t id, SampleOut& out) const override {
    const auto [shard, offset] = locate(id);
    const std::span<std::byte> dst = out.allocate(layout_);
    const std::uint64_t at = offset + (shard.header.labels ? rf::kLabelBytes : 0);
    const std::int64_t n = shard.file.read_at(dst, at);
    if (n != static_cast<std::int64_t>(dst.size())) throw DataError(where(id), failed_read("record", n, dst.size()));
  }

 private:
  struct Location {
    const Shard& shard;
    std::uint64_t offset;  ///< of the record's first byte (its label, when it has one)
  };

  Location locate(std::int64_t id) const {
    if (id < 0 || id >= size_) throw Error(fmt::format("records: sample id {} is outside [0, {})", id, size_));
    // The last shard whose first id is <= id. Empty shards share their successor's first id and are passed over.
    const auto it = std::upper_bound(shards_.begin(), shards_.end(), id,
                                     [](std::int64_t v, const Shard& s) { return v < s.first_id; });
    const Shard& shard = *std::prev(it);
    const auto local = static_cast<std::uint64_t>(id - shard.first_id);
    return {shard, shard.header.data_offset + local * shard.header.record_bytes()};
  }

  static std::string failed_read(const char* what, std::int64_t n, std::size_t want) {
    if (n < 0) return fmt::format("cannot read the {}: {}", what, error_text(static_cast<int>(-n)));
    return fmt::format("short read of the {}: {} of {} bytes (the file changed after it was opened?)", what, n, want);
  }

  std::vector<Shard> shards_;
  SampleLayout layout_;
  std::int64_t size_ = 0;
};

}  // namespace

std::unique_ptr<Source> make_records(const StageOptions& o, const StageContext&) {
  std::vector<Shard> shards;
  for (auto& path : data_files(o, "path", ".rec")) shards.push_back(open_shard(std::move(path)));
  const Shard& first = shards.front();
  for (const Shard& s : shards) {
    if (s.header.layout != first.header.layout) {
      o.fail("path", fmt::format("{} holds samples of {} but {} holds {}: every file must hold the same layout",
                                 first.file.path(), first.header.layout.describe(), s.file.path(),
                                 s.header.layout.describe()));
    }
    if (s.header.labels != first.header.labels) {
      o.fail("path", fmt::format("{} {} labels but {} {}: every file must agree", first.file.path(),
                                 first.header.labels ? "has" : "has no", s.file.path(),
                                 s.header.labels ? "has" : "has none"));
    }
  }
  check_expected_layout(o, first.header.layout, first.file.path());
  std::uint64_t total = 0;
  for (const Shard& s : shards) total += s.header.count;
  if (total == 0)
    o.fail("path", fmt::format("{}{}: no records", first.file.path(), shards.size() > 1 ? " and the rest" : ""));
  return std::make_unique<RecordsSource>(std::move(shards));
}

}  // namespace feedgraph::stages
