// make-dataset --kind npy: one .npy array of shape (samples, *sample shape), sample i being synthetic
// sample i, and (unless classes is 0) its labels as a 1-D <i8 array beside it: `data/x.npy` gets
// `data/x.labels.npy`, the name `source: npy` leaves out when it reads a folder.
#include <filesystem>
#include <vector>

#include <fmt/format.h>

#include "tools/make_dataset/dataset_output.hpp"
#include "feedgraph/detail/npy_format.hpp"
#include "tools/make_dataset/writers.hpp"
#include "feedgraph/errors.hpp"

namespace feedgraph::detail {
namespace {

std::string labels_path(const std::string& out) {
  const std::string_view suffix = ".npy";
  const bool has_suffix = out.size() > suffix.size() && out.ends_with(suffix);
  return (has_suffix ? out.substr(0, out.size() - suffix.size()) : out) + ".labels.npy";
}

std::uint64_t write_samples(const MakeDatasetOptions& o) {
  std::vector<std::int64_t> shape{o.samples};
  shape.insert(shape.end(), o.sample.shape.begin(), o.sample.shape.end());
  const std::string header = npy::encode_header(npy::descr_of(o.sample.dtype), shape);
  OutputFile file(o.out);
  file.write(std::as_bytes(std::span(header)));

  const SyntheticSamples samples(o);
  const std::size_t sample_bytes = samples.sample_bytes();
  const auto per_chunk = static_cast<std::int64_t>(items_per_chunk(sample_bytes));
  std::vector<std::byte> chunk(static_cast<std::size_t>(per_chunk) * sample_bytes);
  for (std::int64_t begin = 0; begin < o.samples; begin += per_chunk) {
    const std::int64_t end = std::min(o.samples, begin + per_chunk);
    for (std::int64_t id = begin; id < end; ++id)
      samples.fill(id, {chunk.data() + static_cast<std::size_t>(id - begin) * sample_bytes, sample_bytes});
    file.write({chunk.data(), static_cast<std::size_t>(end - begin) * sample_bytes});
  }
  return file.commit();
}

std::uint64_t write_labels(const MakeDatasetOptions& o, const std::string& path) {
  OutputFile file(path);
  const std::string header = npy::encode_header("<i8", {o.samples});
  file.write(std::as_bytes(std::span(header)));
  const auto per_chunk = static_cast<std::int64_t>(items_per_chunk(sizeof(std::int64_t)));
  std::vector<std::int64_t> chunk(static_cast<std::size_t>(per_chunk));
  for (std::int64_t begin = 0; begin < o.samples; begin += per_chunk) {
    const std::int64_t end = std::min(o.samples, begin + per_chunk);
    for (std::int64_t id = begin; id < end; ++id) chunk[static_cast<std::size_t>(id - begin)] = id % o.classes;
    file.write(std::as_bytes(std::span(chunk.data(), static_cast<std::size_t>(end - begin))));
  }
  return file.commit();
}

}  // namespace

MadeDataset write_npy_dataset(const MakeDatasetOptions& o) {
  std::error_code ec;
  if (std::filesystem::is_directory(o.out, ec))
    throw Error(fmt::format("{}: is a folder; the npy output is a file (say data/train.npy)", o.out));
  make_parent_folder(o.out);
  MadeDataset made;
  made.bytes += write_samples(o);
  made.files.push_back(o.out);
  if (o.classes > 0) {
    const std::string labels = labels_path(o.out);
    made.bytes += write_labels(o, labels);
    made.files.push_back(labels);
  }
  return made;
}

}  // namespace feedgraph::detail
