// `decode_jpeg` — the bytes of a JPEG file (`{?} uint8`, as `source: images` reads them) → the decoded image,
// HWC uint8: height x width x 3 (RGB) or x 1 (grey).
//
// Options:
//   channels: 3 | 1          (default 3) RGB, or luminance only
//   warnings: allow | fail   (default allow) what a file that libjpeg-turbo decodes with a warning gets:
//       allow: the image as decoded, as PIL and torchvision give it (extraneous bytes before a marker, a bad
//              Huffman code in one block...), EXCEPT a truncated file, which is always an error: libjpeg-turbo
//              only warns "Premature end of JPEG file" and fills the missing rows with grey, which must not
//              pass silently;
//       fail:  every warning is an error.
//   max_pixels: N            (default 178956970, PIL's limit) a larger image is bad data, not a huge allocation
//   backend, hardware_load, lanes, hardware_threads   in device_transforms only: nvJPEG's decoder, read by the
//       engine (engine/src/backend/device_decode_options.cpp, which documents them)
//
// Bad data (not a JPEG, truncated, corrupt, a colour space TurboJPEG cannot convert) is a DataError; the engine
// adds the file's name. One TurboJPEG handle per thread: a tjhandle is not thread-safe, and one shared behind a
// lock would serialize the decoding, which is most of an image pipeline's CPU time.
#include <turbojpeg.h>

#include <cstring>
#include <optional>
#include <string>

#include "feedgraph/errors.hpp"
#include "feedgraph/stage.hpp"

namespace feedgraph::stages {
namespace {

/// This thread's decompressor: created on the thread's first decode, destroyed when the thread exits.
class ThreadDecompressor {
 public:
  ThreadDecompressor() = default;
  ThreadDecompressor(const ThreadDecompressor&) = delete;
  ThreadDecompressor& operator=(const ThreadDecompressor&) = delete;
  ~ThreadDecompressor() {
    if (handle_) tjDestroy(handle_);
  }

  static ThreadDecompressor& get() {
    thread_local ThreadDecompressor d;
    if (!d.handle_) d.handle_ = tjInitDecompress();
    if (!d.handle_) throw Error(std::string("decode_jpeg: tjInitDecompress failed: ") + tjGetErrorStr2(nullptr));
    return d;
  }
  tjhandle handle() const { return handle_; }
  /// Replaces the handle after a failed file: libjpeg-turbo 2.1 leaves a handle whose header read failed
  /// in a state where the next, good file reads as 0x0 pixels.
  void discard() {
    if (handle_) tjDestroy(handle_);
    handle_ = nullptr;
  }

 private:
  tjhandle handle_ = nullptr;
};

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

/// True for the texts of libjpeg's recoverable warnings (jerror.h JWRN_*) that leave a whole image: the
/// message TurboJPEG reports is the first warning's, or a later fatal error's, which must not pass as one.
bool recoverable_warning(const std::string& m) {
  if (starts_with(m, "Corrupt JPEG data: premature end")) return false;  // data missing: truncated
  return starts_with(m, "Corrupt JPEG data") || starts_with(m, "Warning:") ||
         starts_with(m, "Inconsistent progression sequence") || starts_with(m, "Invalid SOS parameters") ||
         starts_with(m, "Unknown Adobe color transform");
}

/// Where a marker search found nothing.
constexpr std::size_t kNoMarker = static_cast<std::size_t>(-1);

/// The index of the 0xFF of the first `marker` (a 0xFF followed by it) in p[from, n), or kNoMarker. memchr
/// steps through the bytes many at a time; a byte-by-byte loop took 19 us of a 17 KB file.
std::size_t first_marker(const unsigned char* p, std::size_t from, std::size_t n, unsigned char marker) {
  for (std::size_t i = from; i + 1 < n;) {
    const auto* hit = static_cast<const unsigned char*>(std::memchr(p + i, 0xFF, n - 1 - i));
    if (hit == nullptr) return kNoMarker;
    const auto j = static_cast<std::size_t>(hit - p);
    if (p[j + 1] == marker) return j;
    i = j + 1;
  }
  return kNoMarker;
}

/// The index of the 0xFF of the last `marker` in p[0, n), or kNoMarker: memrchr for the marker byte, from the
/// end, until a 0xFF precedes it.
std::size_t last_marker(const unsigned char* p, std::size_t n, unsigned char marker) {
  for (std::size_t end = n; end > 1;) {
    const auto* hit = static_cast<const unsigned char*>(::memrchr(p + 1, marker, end - 1));
    if (hit == nullptr) return kNoMarker;
    const auto j = static_cast<std::size_t>(hit - p);
    if (p[j - 1] == 0xFF) return j - 1;
    end = j;
  }
  return kNoMarker;
}

/// True when an end-of-image marker follows the last start-of-scan: a file cut short in its last scan has
/// none. Needed because TurboJPEG shows only the first warning, so "Premature end of JPEG file" after a
/// recoverable warning is invisible. (Inside a scan 0xFF is always followed by 0x00 or a restart marker.)
/// This check runs for every file that crosses the link to be decoded on the device, so the common case is
/// quick: a file that ends with its end-of-image marker passes once it has a start-of-scan anywhere before it
/// (one of those cannot end the file), found near the start; only the others are searched from the end.
bool ends_after_last_scan(const unsigned char* p, std::size_t n) {
  if (n < 4) return false;
  if (p[n - 2] == 0xFF && p[n - 1] == 0xD9) return first_marker(p, 0, n, 0xDA) != kNoMarker;
  const std::size_t sos = last_marker(p, n, 0xDA);
  return sos != kNoMarker && first_marker(p, sos + 2, n, 0xD9) != kNoMarker;
}

class DecodeJpeg final : public Transform {
 public:
  DecodeJpeg(int channels, bool fail_on_warning, std::int64_t max_pixels)
      : channels_(channels), fail_on_warning_(fail_on_warning), max_pixels_(max_pixels) {}

  SampleLayout output(const SampleLayout&) const override { return {{kVaries, kVaries, channels_}, DType::u8}; }

  void apply(const SampleView& in, SampleOut& out, const SampleContext&) const override {
    const auto* data = reinterpret_cast<const unsigned char*>(in.bytes.data());
    const std::size_t size = in.bytes.size();
    ThreadDecompressor& decompressor = ThreadDecompressor::get();
    const Header h = header(decompressor, data, size);
    const std::span<std::byte> dst = out.allocate(SampleLayout{{h.height, h.width, channels_}, DType::u8});
    const int format = channels_ == 1 ? TJPF_GRAY : TJPF_RGB;
    if (tjDecompress2(decompressor.handle(), data, static_cast<unsigned long>(size),
                      reinterpret_cast<unsigned char*>(dst.data()), h.width, 0, h.height, format, 0) != 0) {
      const std::string message = tjGetErrorStr2(decompressor.handle());
      if (!passable_warning(decompressor.handle())) fail(decompressor, "cannot decode the JPEG image: " + message);
      if (!ends_after_last_scan(data, size))
        fail(decompressor, "truncated JPEG file: no end-of-image marker after its last scan (and: " + message + ")");
    }
  }

  /// The header's size, and a file cut short in its last scan refused, without decoding: what the host checks
  /// before a file crosses the link to be decoded on the device.
  std::optional<SampleLayout> inspect(const SampleView& in) const override {
    const auto* data = reinterpret_cast<const unsigned char*>(in.bytes.data());
    ThreadDecompressor& decompressor = ThreadDecompressor::get();
    const Header h = header(decompressor, data, in.bytes.size());
    if (!ends_after_last_scan(data, in.bytes.size()))
      fail(decompressor, "truncated JPEG file: no end-of-image marker after its last scan");
    return SampleLayout{{h.height, h.width, channels_}, DType::u8};
  }

 private:
  struct Header {
    int width = 0, height = 0;
  };

  [[noreturn]] static void fail(ThreadDecompressor& decompressor, const std::string& message) {
    decompressor.discard();
    throw DataError("", message);
  }

  /// The image's size from its header; DataError for a file that is not a JPEG, has no size or is too large.
  Header header(ThreadDecompressor& decompressor, const unsigned char* data, std::size_t size) const {
    if (size == 0) throw DataError("", "not a JPEG file: the file is empty");
    tjhandle tj = decompressor.handle();
    // A warning while reading the header still fills in the size; whether it may pass is decided as for the
    // decode, which meets it again.
    int width = 0, height = 0, subsampling = 0, colorspace = 0;
    if (tjDecompressHeader3(tj, data, static_cast<unsigned long>(size), &width, &height, &subsampling, &colorspace) != 0 &&
        !passable_warning(tj)) {
      fail(decompressor, std::string("cannot read the JPEG header: ") + tjGetErrorStr2(tj));
    }
    if (width < 1 || height < 1) fail(decompressor, "the JPEG header gives no image size (a file cut short in its header?)");
    if (static_cast<std::int64_t>(width) * height > max_pixels_) {
      fail(decompressor, "a " + std::to_string(width) + "x" + std::to_string(height) +
                             " JPEG image is over decode_jpeg's max_pixels (" + std::to_string(max_pixels_) + ")");
    }
    return {width, height};
  }

  /// After a call that returned an error: true when it was only a recoverable warning and they are allowed.
  bool passable_warning(tjhandle tj) const {
    return !fail_on_warning_ && tjGetErrorCode(tj) == TJERR_WARNING && recoverable_warning(tjGetErrorStr2(tj));
  }

  std::int64_t channels_;
  bool fail_on_warning_;
  std::int64_t max_pixels_;
};

}  // namespace

std::unique_ptr<Transform> make_decode_jpeg(const StageOptions& o, const StageContext& ctx) {
  const auto channels = o.integer("channels", 3, {.min = 1, .max = 3});
  if (channels == 2) o.fail("channels", "must be 3 (RGB) or 1 (grey)");
  const bool fail_on_warning = o.choice("warnings", "allow", {"allow", "fail"}) == "fail";
  const auto max_pixels = o.integer("max_pixels", 178956970, {.min = 1});
  // backend, hardware_load, lanes and hardware_threads set nvJPEG's decoder for decode_jpeg in device_transforms,
  // where the engine reads them (plan_device_decode) before this factory runs; here they can only be misplaced.
  if (!o.path().starts_with("device_transforms")) {
    for (const char* key : {"backend", "hardware_load", "lanes", "hardware_threads"})
      if (o.has(key))
        o.fail(key, std::string(key) + " sets nvJPEG's decoder, for decode_jpeg in device_transforms; the host "
                                       "decodes with libjpeg-turbo");
  }
  const SampleLayout& in = ctx.layout;
  if (in.shape.size() != 1 || in.dtype != DType::u8) {
    o.fail("", "decode_jpeg needs encoded files, one uint8 byte string per sample (such as source: images "
               "reads); it receives " + in.describe());
  }
  return std::make_unique<DecodeJpeg>(static_cast<int>(channels), fail_on_warning, max_pixels);
}

}  // namespace feedgraph::stages
