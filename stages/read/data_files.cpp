// The file plumbing of the file-backed sources (data_files.hpp).
#include "read/data_files.hpp"

#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "feedgraph/errors.hpp"

namespace feedgraph::stages {

std::string error_text(int err) { return std::error_code(err, std::generic_category()).message(); }

DataFile::DataFile(std::string path) : path_(std::move(path)) {
  // O_CLOEXEC: a source lives as long as the program's pipelines, and a child process has no use for it.
  fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw Error(fmt::format("{}: cannot open: {}", path_, error_text(errno)));
  struct stat st {};
  const bool stat_ok = ::fstat(fd_, &st) == 0;
  if (!stat_ok || !S_ISREG(st.st_mode)) {
    const std::string why = stat_ok ? "not a regular file" : error_text(errno);
    ::close(fd_);
    fd_ = -1;
    throw Error(fmt::format("{}: {}", path_, why));
  }
  size_ = static_cast<std::uint64_t>(st.st_size);
}

DataFile::~DataFile() {
  if (fd_ >= 0) ::close(fd_);
}

DataFile::DataFile(DataFile&& other) noexcept : path_(std::move(other.path_)), fd_(other.fd_), size_(other.size_) {
  other.fd_ = -1;
}

std::int64_t DataFile::read_at(std::span<std::byte> dst, std::uint64_t offset) const {
  std::size_t done = 0;
  while (done < dst.size()) {
    const ssize_t n = ::pread(fd_, dst.data() + done, dst.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    if (n == 0) break;  // end of file
    done += static_cast<std::size_t>(n);
  }
  return static_cast<std::int64_t>(done);
}

void DataFile::read_exactly(std::span<std::byte> dst, std::uint64_t offset) const {
  const std::int64_t n = read_at(dst, offset);
  if (n < 0) throw Error(fmt::format("{}: cannot read: {}", path_, error_text(static_cast<int>(-n))));
  if (static_cast<std::size_t>(n) != dst.size()) {
    throw Error(fmt::format("{}: the file ends at byte {}, {} bytes were expected from offset {}: truncated", path_,
                            offset + static_cast<std::uint64_t>(n), dst.size(), offset));
  }
}

namespace {

bool is_pattern(std::string_view path) { return path.find_first_of("*?[") != std::string_view::npos; }

bool ends_with(std::string_view s, std::string_view suffix) {
  return !suffix.empty() && s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool is_regular(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec);
}

std::vector<std::string> glob_files(const StageOptions& o, std::string_view key, const std::string& pattern) {
  glob_t g{};
  const int rc = ::glob(pattern.c_str(), 0, nullptr, &g);
  std::vector<std::string> files;
  if (rc == 0) {
    for (std::size_t i = 0; i < g.gl_pathc; ++i) {
      if (is_regular(g.gl_pathv[i])) files.emplace_back(g.gl_pathv[i]);
    }
  }
  ::globfree(&g);
  if (rc != 0 && rc != GLOB_NOMATCH) o.fail(key, fmt::format("{}: the pattern could not be expanded", pattern));
  if (files.empty()) o.fail(key, fmt::format("{}: the pattern matches no file", pattern));
  return files;
}

std::vector<std::string> folder_files(const StageOptions& o, std::string_view key, const std::string& folder,
                                      std::string_view extension, std::string_view skip_suffix) {
  std::vector<std::string> files;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!ends_with(name, extension) || ends_with(name, skip_suffix)) continue;
    if (is_regular(it->path().string())) files.push_back(it->path().string());
  }
  if (ec) o.fail(key, fmt::format("{}: cannot list the folder: {}", folder, ec.message()));
  if (files.empty()) o.fail(key, fmt::format("{}: the folder holds no *{} file", folder, extension));
  return files;
}

}  // namespace

std::vector<std::string> data_files(const StageOptions& o, std::string_view key, std::string_view extension,
                                    std::string_view skip_suffix) {
  const std::string path = o.text(key, "");
  if (path.empty()) o.fail(key, fmt::format("missing: a file, a folder of *{} files or a glob pattern", extension));
  std::vector<std::string> files;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    files = folder_files(o, key, path, extension, skip_suffix);
  } else if (std::filesystem::exists(path, ec)) {
    files.push_back(path);  // named outright: whatever its name, and DataFile says if it cannot be read
  } else if (is_pattern(path)) {
    files = glob_files(o, key, path);
  } else {
    o.fail(key, fmt::format("{}: no such file or folder", path));
  }
  // Byte order, not glob's locale collation: the sample ids must not depend on LANG.
  std::sort(files.begin(), files.end());
  return files;
}

std::string file_offset(const std::string& file, std::uint64_t offset) {
  return fmt::format("{} offset {}", file, offset);
}

void check_expected_layout(const StageOptions& o, const SampleLayout& found, const std::string& file) {
  // Asked for even when absent, so that an unknown-key message lists them among the keys this source takes.
  const auto name = o.choice("dtype", "", {"uint8", "int32", "float16", "float32"});
  if (!name.empty() && *parse_dtype(name) != found.dtype)
    o.fail("dtype", fmt::format("{} holds {}, expected {}", file, dtype_name(found.dtype), name));
  const auto shape = o.integers("shape", {}, {.min = 1});
  if (!shape.empty() && shape != found.shape) {
    const SampleLayout expected{shape, found.dtype};
    o.fail("shape", fmt::format("{} holds samples of {}, expected {}", file, found.describe(),
                                expected.describe()));
  }
}

}  // namespace feedgraph::stages
