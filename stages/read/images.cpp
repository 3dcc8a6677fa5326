// `source: images` — a folder of image files, one subfolder per class (ImageNet's layout):
//
//   root/<class>/<file>.jpg          (files may sit deeper: root/<class>/a/b.jpg)
//
// Each sample is one file's bytes, not decoded: the layout is `{?} uint8`, and decode_jpeg, a transform, turns
// them into pixels (so decoding runs at the transform concurrency and reading at the read one).
//
// Options:
//   path: data/images                     the root folder (required)
//   extensions: [jpg, jpeg, JPG, JPEG]    which files count, by the text after their last dot (exact case)
//
// Classes are the root's subfolders sorted by name (byte order): the label is the index in that order, so a
// class folder with no images still takes its index. Files are sorted by their path within their class, so a
// sample id names the same file on every machine. Names starting with '.' are ignored (temporary files).
// Folders are listed once, when the pipeline is built: the sizes found then are the memory plan's, and a file
// whose size has changed since is bad data (DataError naming it), as is one that cannot be read.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <cerrno>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "feedgraph/errors.hpp"
#include "feedgraph/stage.hpp"
#include "read/data_files.hpp"

namespace feedgraph::stages {
namespace {

namespace fs = std::filesystem;

/// Closes a file descriptor on every path out of read().
struct FileDescriptor {
  int fd = -1;
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  explicit FileDescriptor(int f) : fd(f) {}
  ~FileDescriptor() {
    if (fd >= 0) ::close(fd);
  }
};

/// Every sample's path, size and class, listed once. The paths are kept in one string: a million-file
/// dataset then costs its names' bytes, not a million heap blocks.
struct Listing {
  std::string names;
  std::vector<std::size_t> name_end;  ///< file i's path is names[name_end[i-1], name_end[i])
  std::vector<std::uint64_t> sizes;
  std::vector<std::int32_t> labels;
  std::size_t classes = 0;

  std::string path(std::size_t i) const {
    const std::size_t begin = i == 0 ? 0 : name_end[i - 1];
    return names.substr(begin, name_end[i] - begin);
  }
};

bool hidden(const fs::path& p) {
  const std::string name = p.filename().string();
  return !name.empty() && name[0] == '.';
}

Listing list_images(const StageOptions& o, const std::string& root, const std::vector<std::string>& extensions) {
  std::error_code ec;
  const fs::file_status status = fs::status(root, ec);
  if (ec || !fs::exists(status)) o.fail("path", "no such folder: " + root);
  if (!fs::is_directory(status)) o.fail("path", root + " is not a folder");

  std::vector<std::string> classes;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code dir_ec;
    if (!hidden(it->path()) && it->is_directory(dir_ec)) classes.push_back(it->path().filename().string());
  }
  if (ec) o.fail("path", "cannot list " + root + ": " + ec.message());
  std::sort(classes.begin(), classes.end());

  Listing listing;
  listing.classes = classes.size();
  struct Entry {
    std::string relative;  // within the class folder: the sort key
    std::uint64_t size;
  };
  std::vector<Entry> files;
  for (std::size_t c = 0; c < classes.size(); ++c) {
    const fs::path folder = fs::path(root) / classes[c];
    files.clear();
    const auto options = fs::directory_options::follow_directory_symlink;
    for (fs::recursive_directory_iterator it(folder, options, ec), end; !ec && it != end; it.increment(ec)) {
      if (hidden(it->path())) {
        if (it->is_directory(ec)) it.disable_recursion_pending();
        ec.clear();
        continue;
      }
      std::error_code file_ec;
      if (!it->is_regular_file(file_ec)) continue;
      const std::string ext = it->path().extension().string();
      if (ext.size() < 2 || std::find(extensions.begin(), extensions.end(), ext.substr(1)) == extensions.end()) continue;
      const std::uint64_t size = it->file_size(file_ec);
      if (file_ec) o.fail("path", "cannot stat " + it->path().string() + ": " + file_ec.message());
      files.push_back({it->path().lexically_relative(folder).string(), size});
    }
    if (ec) o.fail("path", "cannot list " + folder.string() + ": " + ec.message());
    std::sort(files.begin(), files.end(), [](const Entry& a, const Entry& b) { return a.relative < b.relative; });
    for (const Entry& f : files) {
      listing.names += (folder / f.relative).string();
      listing.name_end.push_back(listing.names.size());
      listing.sizes.push_back(f.size);
      listing.labels.push_back(static_cast<std::int32_t>(c));
    }
  }
  if (listing.sizes.empty()) {
    std::string wanted;
    for (const auto& e : extensions) wanted += (wanted.empty() ? "." : ", .") + e;
    o.fail("path", "no images in " + root + " (" + std::to_string(classes.size()) +
                       " class folder(s); looked for root/<class>/<file> with extension " + wanted + ")");
  }
  return listing;
}

class ImagesSource final : public Source {
 public:
  explicit ImagesSource(Listing listing) : listing_(std::move(listing)) {
    largest_ = listing_.sizes.empty() ? 0 : *std::max_element(listing_.sizes.begin(), listing_.sizes.end());
    for (const std::uint64_t size : listing_.sizes) total_ += size;
  }

  SampleLayout layout() const override { return {{kVaries}, DType::u8}; }
  std::int64_t size() const override { return static_cast<std::int64_t>(listing_.sizes.size()); }
  std::size_t largest_sample_bytes() const override { return static_cast<std::size_t>(largest_); }
  std::uint64_t total_bytes() const override { return total_; }
  /// The `count` largest files together: what a batch of encoded files can take at most, whichever they are.
  std::uint64_t largest_batch_bytes(std::int64_t count) const override {
    std::vector<std::uint64_t> sizes = listing_.sizes;
    const auto n = static_cast<std::size_t>(std::clamp<std::int64_t>(count, 0, static_cast<std::int64_t>(sizes.size())));
    std::nth_element(sizes.begin(), sizes.begin() + static_cast<std::ptrdiff_t>(n), sizes.end(), std::greater<>());
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < n; ++i) sum += sizes[i];
    return sum;
  }
  std::int64_t label(std::int64_t id) const override { return listing_.labels[static_cast<std::size_t>(id)]; }
  std::string where(std::int64_t id) const override { return listing_.path(static_cast<std::size_t>(id)); }
  std::vector<DataFileIdentity> files() const override {
    std::vector<DataFileIdentity> out(listing_.sizes.size());
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = {listing_.path(i), listing_.sizes[i]};
    return out;
  }

  void read(std::int64_t id, SampleOut& out) const override {
    const auto i = static_cast<std::size_t>(id);
    const std::string path = listing_.path(i);
    const std::uint64_t listed = listing_.sizes[i];
    const FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (file.fd < 0) throw DataError(path, "cannot open: " + error_text(errno));
    struct stat st {};
    if (::fstat(file.fd, &st) != 0) throw DataError(path, "cannot stat: " + error_text(errno));
    // The memory plan and every other sample's place were sized from the listing: a file that changed since is
    // not the dataset that was planned.
    if (static_cast<std::uint64_t>(st.st_size) != listed) {
      throw DataError(path, "changed size since the dataset was listed (" + std::to_string(listed) + " bytes then, " +
                                std::to_string(st.st_size) + " now)");
    }
    const std::span<std::byte> dst = out.allocate(SampleLayout{{static_cast<std::int64_t>(listed)}, DType::u8});
    std::size_t done = 0;
    while (done < dst.size()) {
      const ssize_t got = ::pread(file.fd, dst.data() + done, dst.size() - done, static_cast<off_t>(done));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) throw DataError(path, "read failed at offset " + std::to_string(done) + ": " + error_text(errno));
      if (got == 0) {
        throw DataError(path, "shrank while being read: " + std::to_string(done) + " of its " + std::to_string(listed) +
                                  " bytes");
      }
      done += static_cast<std::size_t>(got);
    }
  }

 private:
  Listing listing_;
  std::uint64_t largest_ = 0;
  std::uint64_t total_ = 0;  // every file's size: what dataset.cache holds
};

}  // namespace

std::unique_ptr<Source> make_images(const StageOptions& o, const StageContext&) {
  if (!o.has("path")) o.fail("path", "source: images needs path: the folder holding one subfolder per class");
  const std::string root = o.text("path", "");
  if (root.empty()) o.fail("path", "must name a folder");
  const auto extensions = o.texts("extensions", {"jpg", "jpeg", "JPG", "JPEG"});
  return std::make_unique<ImagesSource>(list_images(o, root, extensions));
}

}  // namespace feedgraph::stages
