// make-dataset --kind records: one record file (record_format.hpp), or with shards > 1 a folder of
// part-00000.rec ... holding contiguous ranges of the samples, so that `source: records` over the folder
// serves sample i as synthetic sample i. Labels are i % classes; classes 0 writes files without labels.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <vector>

#include <fmt/format.h>

#include "tools/make_dataset/dataset_output.hpp"
#include "feedgraph/detail/record_format.hpp"
#include "tools/make_dataset/writers.hpp"
#include "feedgraph/errors.hpp"

namespace feedgraph::detail {
namespace {

namespace rf = records;

std::string part_name(int shard) { return fmt::format("part-{:05}.rec", shard); }

/// Writes samples [first, last) as one record file at `path`; returns its size.
std::uint64_t write_shard(const std::string& path, const SyntheticSamples& samples, const MakeDatasetOptions& o,
                          std::int64_t first, std::int64_t last) {
  rf::RecordHeader header;
  header.layout = o.sample;
  header.count = static_cast<std::uint64_t>(last - first);
  header.labels = o.classes > 0;
  header.data_offset = rf::kWriterDataOffset;
  OutputFile file(path);
  file.write(rf::encode_header(header));

  const std::size_t record = header.record_bytes();
  const std::size_t label_bytes = header.labels ? rf::kLabelBytes : 0;
  const auto per_chunk = static_cast<std::int64_t>(items_per_chunk(record));
  std::vector<std::byte> chunk(static_cast<std::size_t>(per_chunk) * record);
  for (std::int64_t begin = first; begin < last; begin += per_chunk) {
    const std::int64_t end = std::min(last, begin + per_chunk);
    std::byte* at = chunk.data();
    for (std::int64_t id = begin; id < end; ++id, at += record) {
      if (header.labels) rf::put_u64(at, static_cast<std::uint64_t>(id % o.classes));
      samples.fill(id, {at + label_bytes, samples.sample_bytes()});
    }
    file.write({chunk.data(), static_cast<std::size_t>(at - chunk.data())});
  }
  return file.commit();
}

/// With shards, `out` is a folder that may already hold a dataset: part files this run would not overwrite
/// would be read along with the new ones, so they are refused rather than deleted (they are someone's data).
void check_no_stale_parts(const std::string& folder, int shards) {
  std::error_code ec;
  for (std::filesystem::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (it->path().extension() != ".rec") continue;
    int index = -1;
    const bool ours = std::sscanf(name.c_str(), "part-%5d.rec", &index) == 1 && index >= 0 && index < shards &&
                      name == part_name(index);
    if (!ours) {
      throw Error(fmt::format("{}: the folder already holds {}, which a reader of the folder would take as part of "
                              "the new dataset: remove it or write elsewhere",
                              folder, it->path().filename().string()));
    }
  }
}

}  // namespace

MadeDataset write_records_dataset(const MakeDatasetOptions& o) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<std::string> paths;
  if (o.shards == 1) {
    if (fs::is_directory(o.out, ec))
      throw Error(fmt::format("{}: is a folder; with one shard the output is a file (say data/train.rec)", o.out));
    make_parent_folder(o.out);
    paths.push_back(o.out);
  } else {
    if (fs::exists(o.out, ec) && !fs::is_directory(o.out, ec))
      throw Error(
          fmt::format("{}: is a file; with {} shards the output is a folder of part-NNNNN.rec", o.out, o.shards));
    fs::create_directories(o.out, ec);
    if (ec) throw Error(fmt::format("{}: cannot create the folder: {}", o.out, ec.message()));
    for (int s = 0; s < o.shards; ++s) paths.push_back((fs::path(o.out) / part_name(s)).string());
    check_no_stale_parts(o.out, o.shards);
  }

  const SyntheticSamples samples(o);
  MadeDataset made;
  for (int s = 0; s < o.shards; ++s) {
    // Contiguous ranges, sizes differing by at most one: shard s holds [s*N/M, (s+1)*N/M).
    const std::int64_t first = o.samples * s / o.shards;
    const std::int64_t last = o.samples * (s + 1) / o.shards;
    made.bytes += write_shard(paths[static_cast<std::size_t>(s)], samples, o, first, last);
    made.files.push_back(paths[static_cast<std::size_t>(s)]);
  }
  return made;
}

}  // namespace feedgraph::detail
