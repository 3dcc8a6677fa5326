// make-dataset --kind images: a folder of JPEG files in ImageNet's layout, for `source: images`:
//
//   out/class_000/000000.jpg, out/class_001/000001.jpg, ... out/class_000/000010.jpg, ...
//
// Sample i goes to class i % classes and is named after i. Its pixels are a pure function of (seed, i): a
// smooth colour gradient, a low-frequency wave, a few flat shapes and a little noise, which compresses (and
// decodes) like a photograph, unlike pure noise, so decode timings are realistic. Encoded with TurboJPEG at
// `quality`, 4:2:0 chroma subsampling (what cameras and ImageNet's files use). Each file is written under a
// temporary name and renamed, so an interrupted run never leaves a truncated .jpg behind. With `size_jitter`
// each image has its own size, drawn from (seed, i), so file sizes and aspect ratios vary as photos' do.
#include <fmt/format.h>
#include <tbb/parallel_for.h>
#include <turbojpeg.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "tools/make_dataset/writers.hpp"
#include "feedgraph/errors.hpp"
#include "feedgraph/splitmix.hpp"

namespace feedgraph::detail {
namespace {

namespace fs = std::filesystem;

/// Uniform in [lo, hi).
double uniform(std::uint64_t& state, double lo, double hi) {
  return lo + (hi - lo) * static_cast<double>(splitmix64_next(state) >> 11) * 0x1.0p-53;
}

/// Sample `index`'s pixels, RGB, `width` x `height`, into `rgb`.
void draw_image(std::uint64_t seed, std::uint64_t index, int width, int height, std::vector<unsigned char>& rgb) {
  std::uint64_t state = seed * 0xD1B54A32D192ED03ULL ^ index;
  (void)splitmix64_next(state);
  const auto w = static_cast<std::size_t>(width), h = static_cast<std::size_t>(height);
  std::vector<float> field(w * h * 3);

  // Background: per channel, a base colour, a linear gradient and a share of one low-frequency wave.
  double base[3], gx[3], gy[3], amp[3];
  for (int c = 0; c < 3; ++c) {
    base[c] = uniform(state, 50, 205);
    gx[c] = uniform(state, -90, 90);
    gy[c] = uniform(state, -90, 90);
    amp[c] = uniform(state, 5, 35);
  }
  const double fx = uniform(state, 0.5, 3), fy = uniform(state, 0.5, 3);
  const double px = uniform(state, 0, 6.2832), py = uniform(state, 0, 6.2832);
  std::vector<float> wave_x(w), wave_y(h);
  for (std::size_t x = 0; x < w; ++x) wave_x[x] = static_cast<float>(std::sin(6.2832 * fx * (double(x) / double(w)) + px));
  for (std::size_t y = 0; y < h; ++y) wave_y[y] = static_cast<float>(std::cos(6.2832 * fy * (double(y) / double(h)) + py));
  for (std::size_t y = 0; y < h; ++y)
    for (std::size_t x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c) {
        field[(y * w + x) * 3 + c] = static_cast<float>(base[c] + gx[c] * (double(x) / double(w) - 0.5) +
                                                        gy[c] * (double(y) / double(h) - 0.5) +
                                                        amp[c] * wave_x[x] * wave_y[y]);
      }

  // A few flat ellipses and rectangles: the edges a photograph has.
  const int shapes = 3 + static_cast<int>(splitmix64_next(state) % 5);
  for (int s = 0; s < shapes; ++s) {
    const bool ellipse = splitmix64_next(state) & 1;
    const double cx = uniform(state, 0, width), cy = uniform(state, 0, height);
    const double rx = uniform(state, width / 16.0 + 1, width / 4.0 + 2), ry = uniform(state, height / 16.0 + 1, height / 4.0 + 2);
    float colour[3];
    for (float& v : colour) v = static_cast<float>(uniform(state, 0, 255));
    const auto y0 = static_cast<std::size_t>(std::max(0.0, cy - ry)), y1 = static_cast<std::size_t>(std::min(double(h), cy + ry));
    const auto x0 = static_cast<std::size_t>(std::max(0.0, cx - rx)), x1 = static_cast<std::size_t>(std::min(double(w), cx + rx));
    for (std::size_t y = y0; y < y1; ++y)
      for (std::size_t x = x0; x < x1; ++x) {
        const double dx = (double(x) + 0.5 - cx) / rx, dy = (double(y) + 0.5 - cy) / ry;
        if (ellipse && dx * dx + dy * dy > 1) continue;
        for (int c = 0; c < 3; ++c) field[(y * w + x) * 3 + c] = colour[c];
      }
  }

  // Sensor-like noise of a few levels, then 8 bits.
  rgb.resize(w * h * 3);
  std::uint64_t bits = 0;
  for (std::size_t i = 0; i < rgb.size(); ++i) {
    if (i % 16 == 0) bits = splitmix64_next(state);  // 16 draws of 4 bits from each 64-bit number
    const auto noise = static_cast<float>(static_cast<int>((bits >> ((i % 16) * 4)) & 15) - 8);
    rgb[i] = static_cast<unsigned char>(std::clamp(field[i] + noise, 0.0f, 255.0f));
  }
}

/// This thread's compressor, destroyed when the thread exits (a tjhandle is not thread-safe).
tjhandle thread_compressor() {
  struct Owner {
    tjhandle handle = tjInitCompress();
    Owner() = default;
    Owner(const Owner&) = delete;
    Owner& operator=(const Owner&) = delete;
    ~Owner() {
      if (handle) tjDestroy(handle);
    }
  };
  thread_local Owner owner;
  if (!owner.handle) throw Error(std::string("make-dataset images: tjInitCompress failed: ") + tjGetErrorStr2(nullptr));
  return owner.handle;
}

void write_file(const fs::path& path, const unsigned char* data, std::size_t size) {
  const fs::path temp = path.parent_path() / fmt::format(".{}.tmp", path.filename().string());
  std::FILE* f = std::fopen(temp.c_str(), "wb");
  if (!f) throw Error("make-dataset images: cannot create " + temp.string() + ": " + std::strerror(errno));
  const bool written = std::fwrite(data, 1, size, f) == size;
  const int err = errno;
  if (std::fclose(f) != 0 || !written) {
    std::remove(temp.c_str());
    throw Error("make-dataset images: cannot write " + temp.string() + ": " + std::strerror(written ? errno : err));
  }
  std::error_code ec;
  fs::rename(temp, path, ec);
  if (ec) throw Error("make-dataset images: cannot rename " + temp.string() + " to " + path.string() + ": " + ec.message());
}

int digits(std::int64_t n) { return n < 10 ? 1 : 1 + digits(n / 10); }

/// Sample `index`'s size: `width` x `height`, each scaled by its own factor in [1 - jitter, 1 + jitter].
std::pair<int, int> image_size(const MakeDatasetOptions& o, std::uint64_t index) {
  if (o.size_jitter == 0) return {o.width, o.height};
  std::uint64_t state = splitmix64(o.seed ^ splitmix64(index ^ 0x51DE51DE51DEull));
  auto scaled = [&](int n) {
    return std::max(1, static_cast<int>(std::lround(n * uniform(state, 1 - o.size_jitter, 1 + o.size_jitter))));
  };
  const int w = scaled(o.width);
  return {w, scaled(o.height)};
}

}  // namespace

MadeDataset write_images_dataset(const MakeDatasetOptions& o) {
  // Options were checked by make_dataset(), the one entry point.

  const fs::path root(o.out);
  const int class_digits = std::max(3, digits(o.classes - 1));
  const int file_digits = std::max(6, digits(o.samples - 1));
  std::vector<fs::path> folders;
  for (int c = 0; c < o.classes; ++c) {
    folders.push_back(root / fmt::format("class_{:0{}}", c, class_digits));
    std::error_code ec;
    fs::create_directories(folders.back(), ec);
    if (ec) throw Error("make-dataset images: cannot create " + folders.back().string() + ": " + ec.message());
  }

  MadeDataset made;
  made.files.resize(static_cast<std::size_t>(o.samples));
  std::atomic<std::uint64_t> bytes{0};
  tbb::parallel_for(std::int64_t{0}, o.samples, [&](std::int64_t i) {
    thread_local std::vector<unsigned char> rgb;
    const auto [width, height] = image_size(o, static_cast<std::uint64_t>(i));
    draw_image(o.seed, static_cast<std::uint64_t>(i), width, height, rgb);
    tjhandle tj = thread_compressor();
    unsigned char* jpeg = nullptr;
    unsigned long size = 0;
    if (tjCompress2(tj, rgb.data(), width, 0, height, TJPF_RGB, &jpeg, &size, TJSAMP_420, o.quality, 0) != 0) {
      tjFree(jpeg);
      throw Error(std::string("make-dataset images: tjCompress2 failed: ") + tjGetErrorStr2(tj));
    }
    const fs::path path = folders[static_cast<std::size_t>(i % o.classes)] / fmt::format("{:0{}}.jpg", i, file_digits);
    try {
      write_file(path, jpeg, size);
    } catch (...) {
      tjFree(jpeg);
      throw;
    }
    tjFree(jpeg);
    made.files[static_cast<std::size_t>(i)] = path.string();
    bytes += size;
  });
  made.bytes = bytes.load();
  return made;
}

}  // namespace feedgraph::detail
