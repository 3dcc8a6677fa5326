// make_dataset(): check the options, then hand them to the writer of their kind (writers.hpp). The checks
// are here, once, so that every writer may rely on them; a bad option is a ConfigError
// ("make-dataset: shards: ...") so that the command reports it as a usage error.
#include <limits>

#include <fmt/format.h>

#include "feedgraph/detail/record_format.hpp"
#include "tools/make_dataset/writers.hpp"
#include "feedgraph/errors.hpp"

namespace feedgraph {
namespace {

[[noreturn]] void bad(const std::string& key, const std::string& message) {
  throw ConfigError("make-dataset", 0, 0, key, message);
}

void check_sample(const SampleLayout& sample) {
  if (sample.shape.empty()) bad("shape", "must have at least one dimension");
  if (sample.shape.size() > detail::records::kMaxDims)
    bad("shape", fmt::format("has {} dimensions; at most {}", sample.shape.size(), detail::records::kMaxDims));
  std::uint64_t bytes = dtype_size(sample.dtype);
  for (std::int64_t d : sample.shape) {
    if (d < 1) bad("shape", fmt::format("every dimension must be >= 1, got {}", d));
    if (__builtin_mul_overflow(bytes, static_cast<std::uint64_t>(d), &bytes) || bytes > (std::uint64_t{1} << 34))
      bad("shape", "makes a sample larger than 16 GiB");
  }
}

}  // namespace

MadeDataset make_dataset(const MakeDatasetOptions& o) {
  const bool records = o.kind == "records", npy = o.kind == "npy", images = o.kind == "images";
  if (!records && !npy && !images) bad("kind", fmt::format("unknown kind '{}' (known: images, npy, records)", o.kind));
  // 2^40 samples is far beyond any disk; the bound keeps the writers' products of sizes below 2^63.
  if (o.samples < 1 || o.samples > (std::int64_t{1} << 40))
    bad("samples", fmt::format("must be between 1 and 2^40, got {}", o.samples));
  if (o.out.empty()) bad("out", "missing: where to write the dataset");
  if (o.seed > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    bad("seed", fmt::format("must be below 2^63, got {}", o.seed));
  if (o.classes < 0) bad("classes", fmt::format("must be >= 0 (0: no labels), got {}", o.classes));
  if (o.shards < 1) bad("shards", fmt::format("must be >= 1, got {}", o.shards));
  if (o.shards > 1 && !records) bad("shards", fmt::format("applies to records only, not {}", o.kind));
  if (o.shards > o.samples)
    bad("shards", fmt::format("{} shards for {} samples would leave one empty", o.shards, o.samples));
  if (images) {
    if (o.classes < 1) bad("classes", "images need at least one class (one subfolder each)");
    if (o.width < 1 || o.width > 65535 || o.height < 1 || o.height > 65535)
      bad("size", fmt::format("{}x{}: width and height must be between 1 and 65535", o.width, o.height));
    if (o.size_jitter > 0 && (o.width * (1 + o.size_jitter) > 65535 || o.height * (1 + o.size_jitter) > 65535))
      bad("size-jitter", fmt::format("{}x{} jittered by {} may exceed 65535 pixels", o.width, o.height, o.size_jitter));
    if (!(o.size_jitter >= 0 && o.size_jitter < 1))
      bad("size-jitter", fmt::format("must be at least 0 and below 1, got {}", o.size_jitter));
    if (o.quality < 1 || o.quality > 100) bad("quality", fmt::format("must be between 1 and 100, got {}", o.quality));
    return detail::write_images_dataset(o);
  }
  check_sample(o.sample);
  std::uint64_t total = 0;
  if (__builtin_mul_overflow(static_cast<std::uint64_t>(o.samples), o.sample.bytes(), &total) ||
      total > (std::uint64_t{1} << 50))
    bad("samples", "the dataset would be larger than 1 PiB");
  return records ? detail::write_records_dataset(o) : detail::write_npy_dataset(o);
}

}  // namespace feedgraph
