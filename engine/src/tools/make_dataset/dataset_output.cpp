// The writers' shared parts (dataset_output.hpp).
#include "tools/make_dataset/dataset_output.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "feedgraph/errors.hpp"
#include "feedgraph/spec.hpp"
#include "samples/sample_buffer.hpp"
#include "stages/registry.hpp"

namespace feedgraph::detail {
namespace {

std::string error_text(int err) { return std::error_code(err, std::generic_category()).message(); }

}  // namespace

SyntheticSamples::SyntheticSamples(const MakeDatasetOptions& o) : layout_(o.sample) {
  std::string shape;
  for (auto d : o.sample.shape) shape += (shape.empty() ? "" : ", ") + std::to_string(d);
  const std::string yaml = fmt::format("{{samples: {}, sample: {{shape: [{}], dtype: {}}}, seed: {}}}", o.samples,
                                       shape, dtype_name(o.sample.dtype), o.seed);
  source_ = build_source(StageSpec{"synthetic", StageOptions::parse(yaml, "make-dataset")}, {});
}

void SyntheticSamples::fill(std::int64_t id, std::span<std::byte> dst) const {
  BatchSlotOut out(dst, layout_);
  source_->read(id, out);
}

OutputFile::OutputFile(std::string path) : path_(std::move(path)) {
  temp_ = fmt::format("{}.tmp-{}", path_, ::getpid());
  fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) throw Error(fmt::format("{}: cannot create {}: {}", path_, temp_, error_text(errno)));
}

OutputFile::~OutputFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!temp_.empty()) ::unlink(temp_.c_str());
}

void OutputFile::write(std::span<const std::byte> bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(fmt::format("{}: cannot write: {}", path_, error_text(errno)));
    }
    done += static_cast<std::size_t>(n);
  }
  written_ += bytes.size();
}

std::uint64_t OutputFile::commit() {
  // Flushed before the rename: after a power cut the final name then holds the whole file or nothing new.
  if (::fdatasync(fd_) != 0) throw Error(fmt::format("{}: cannot flush: {}", path_, error_text(errno)));
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) throw Error(fmt::format("{}: cannot close: {}", path_, error_text(errno)));
  if (::rename(temp_.c_str(), path_.c_str()) != 0)
    throw Error(fmt::format("{}: cannot rename {} to it: {}", path_, temp_, error_text(errno)));
  temp_.clear();
  return written_;
}

std::size_t items_per_chunk(std::size_t item_bytes) {
  constexpr std::size_t chunk = std::size_t{4} << 20;
  return item_bytes >= chunk ? 1 : chunk / item_bytes;
}

void make_parent_folder(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (ec) throw Error(fmt::format("{}: cannot create the folder {}: {}", path, parent.string(), ec.message()));
}

}  // namespace feedgraph::detail
