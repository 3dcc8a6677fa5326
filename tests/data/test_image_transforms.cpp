// The image transforms one sample at a time, outside the graph: decode_jpeg on good and bad files, the shape
// and exact pixels of each transform on tiny hand-made images, and the random ones' determinism.
#include <cmath>
#include <limits>

#include "image_test_util.hpp"

using namespace feedgraph;
using imgtest::apply;
using imgtest::as_bytes;
using imgtest::bytes_of;

namespace {

const SampleLayout kEncoded{{kVaries}, DType::u8};

SampleLayout hwc_u8(std::int64_t h, std::int64_t w, std::int64_t c) { return {{h, w, c}, DType::u8}; }

/// The decode of `file`, or the DataError it throws.
imgtest::Result decode(const std::vector<unsigned char>& file, const std::string& options = "") {
  const SampleLayout actual{{static_cast<std::int64_t>(file.size())}, DType::u8};
  return apply(*imgtest::make_transform("decode_jpeg", options, kEncoded), actual, as_bytes(file));
}

std::string data_error(const std::vector<unsigned char>& file, const std::string& options = "") {
  try {
    decode(file, options);
  } catch (const DataError& e) {
    CHECK(e.where().empty());  // the engine fills in the file
    return e.message();
  }
  FAIL("expected a DataError");
  return "";
}

std::string config_error(const std::string& name, const std::string& options, const SampleLayout& layout) {
  try {
    imgtest::make_transform(name, options, layout);
  } catch (const ConfigError& e) {
    return e.what();
  }
  FAIL("expected a ConfigError");
  return "";
}

/// Where the first start-of-scan marker is: the header ends there.
std::size_t start_of_scan(const std::vector<unsigned char>& file) {
  for (std::size_t i = 0; i + 1 < file.size(); ++i)
    if (file[i] == 0xFF && file[i + 1] == 0xDA) return i;
  FAIL("no start-of-scan marker");
  return 0;
}

/// `file` with three bytes inserted before its start-of-scan marker: libjpeg-turbo then warns "extraneous
/// bytes before marker 0xda" and decodes the image anyway.
std::vector<unsigned char> with_junk_before_scan(std::vector<unsigned char> file) {
  file.insert(file.begin() + static_cast<std::ptrdiff_t>(start_of_scan(file)), {0x00, 0x11, 0x22});
  return file;
}

}  // namespace

TEST_SUITE("data") {

TEST_CASE("decode_jpeg round trip: a quality 100 JPEG decodes to its pixels within a small tolerance") {
  const int w = 32, h = 24;
  const auto rgb = imgtest::smooth_rgb(w, h);
  const auto decoded = decode(imgtest::encode_jpeg(rgb, w, h, 100, TJSAMP_444));
  REQUIRE(decoded.layout == hwc_u8(h, w, 3));
  const auto px = decoded.values<std::uint8_t>();
  int worst = 0;
  for (std::size_t i = 0; i < rgb.size(); ++i) worst = std::max(worst, std::abs(int(px[i]) - int(rgb[i])));
  CHECK(worst <= 3);

  // channels: 1 gives the luminance, one byte a pixel.
  const auto grey = decode(imgtest::encode_jpeg(rgb, w, h, 100, TJSAMP_444), "{channels: 1}");
  CHECK(grey.layout == hwc_u8(h, w, 1));
  const auto g = grey.values<std::uint8_t>();
  const double luma = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2];
  CHECK(std::abs(g[0] - luma) <= 3);
}

TEST_CASE("decode_jpeg declares a varying HWC uint8 layout and refuses samples that are not encoded files") {
  CHECK(imgtest::make_transform("decode_jpeg", "", kEncoded)->output(kEncoded) == SampleLayout{{kVaries, kVaries, 3}, DType::u8});
  CHECK(imgtest::make_transform("decode_jpeg", "{channels: 1}", kEncoded)->output(kEncoded) ==
        SampleLayout{{kVaries, kVaries, 1}, DType::u8});
  const std::string e = config_error("decode_jpeg", "", SampleLayout{{3, 8, 8}, DType::f32});
  CHECK(e.find("decode_jpeg needs encoded files") != std::string::npos);
  CHECK(e.find("3x8x8 float32") != std::string::npos);
  CHECK(config_error("decode_jpeg", "{channels: 2}", kEncoded).find("must be 3 (RGB) or 1 (grey)") != std::string::npos);
}

TEST_CASE("decode_jpeg turns a truncated JPEG into a DataError though libjpeg-turbo only warns") {
  const auto file = imgtest::encode_jpeg(imgtest::textured_rgb(64, 48), 64, 48);
  const std::size_t scan = start_of_scan(file);
  for (std::size_t keep : {file.size() - 2, (scan + file.size()) / 2, scan + 16}) {
    CAPTURE(keep);
    const std::vector<unsigned char> cut(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(keep));
    CHECK(data_error(cut).find("Premature end of JPEG file") != std::string::npos);
  }
  // Cut in the header: no size, or no scan.
  for (std::size_t keep : {20, 100, 300}) {
    CAPTURE(keep);
    CHECK(data_error(std::vector<unsigned char>(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(keep))).find("JPEG") !=
          std::string::npos);
  }
  // A failed file leaves this thread's decoder fit for the next one.
  CHECK(decode(file).layout == hwc_u8(48, 64, 3));
}

TEST_CASE("decode_jpeg lets a recoverable warning through but not a truncation hidden behind it") {
  const auto junk = with_junk_before_scan(imgtest::encode_jpeg(imgtest::textured_rgb(64, 48), 64, 48));
  CHECK(decode(junk).layout == hwc_u8(48, 64, 3));
  CHECK(data_error(junk, "{warnings: fail}").find("extraneous bytes") != std::string::npos);
  // TurboJPEG reports only the first warning: the premature end after it is found by the missing end marker.
  const std::vector<unsigned char> cut(junk.begin(), junk.begin() + static_cast<std::ptrdiff_t>((start_of_scan(junk) + junk.size()) / 2));
  CHECK(data_error(cut).find("truncated JPEG file") != std::string::npos);
}

TEST_CASE("decode_jpeg's check before a file crosses the link refuses a file cut short in its last scan") {
  // inspect() is what the host runs on every file that nvJPEG will decode: the header, and an end-of-image
  // marker after the last start-of-scan.
  const auto check = imgtest::make_transform("decode_jpeg", "", kEncoded);
  auto inspect = [&](const std::vector<unsigned char>& file) -> std::string {
    const auto bytes = as_bytes(file);
    try {
      const auto layout = check->inspect(SampleView{bytes, SampleLayout{{static_cast<std::int64_t>(file.size())}, DType::u8}});
      return layout == hwc_u8(48, 64, 3) ? "ok" : "wrong layout";
    } catch (const DataError& e) {
      return e.message();
    }
  };
  const auto rgb = imgtest::textured_rgb(64, 48);
  const auto baseline = imgtest::encode_jpeg(rgb, 64, 48);
  const auto progressive = imgtest::encode_jpeg(rgb, 64, 48, 90, TJSAMP_420, TJFLAG_PROGRESSIVE);
  for (const auto* file : {&baseline, &progressive}) {
    CHECK(inspect(*file) == "ok");
    // Bytes after the end-of-image marker (padding some cameras write) are no truncation.
    auto padded = *file;
    padded.insert(padded.end(), 64, 0x00);
    CHECK(inspect(padded) == "ok");
    // Cut short in the last scan, with or without bytes after the cut: no end-of-image marker after that scan.
    const std::vector<unsigned char> cut(file->begin(), file->end() - 40);
    CHECK(inspect(cut).find("truncated JPEG file") != std::string::npos);
    auto cut_padded = cut;
    cut_padded.insert(cut_padded.end(), 64, 0x00);
    CHECK(inspect(cut_padded).find("truncated JPEG file") != std::string::npos);
  }
  // A progressive file cut in a scan before its last, then given an end-of-image marker: that marker follows
  // the last scan there is, so the check lets it through and the decoder is left to judge the scans.
  const std::size_t second_scan = [&] {
    for (std::size_t i = start_of_scan(progressive) + 2; i + 1 < progressive.size(); ++i)
      if (progressive[i] == 0xFF && progressive[i + 1] == 0xDA) return i;
    FAIL("a progressive file with one scan");
    return std::size_t{0};
  }();
  std::vector<unsigned char> early(progressive.begin(), progressive.begin() + static_cast<std::ptrdiff_t>(second_scan + 20));
  CHECK(inspect(early).find("truncated JPEG file") != std::string::npos);
  early.insert(early.end(), {0xFF, 0xD9});
  CHECK(inspect(early) == "ok");
}

TEST_CASE("decode_jpeg turns a file that is not a JPEG into a DataError") {
  const std::string text = "this is a text file, not a JPEG\n";
  CHECK(data_error(std::vector<unsigned char>(text.begin(), text.end())).find("Not a JPEG file") != std::string::npos);
  CHECK(data_error({}).find("empty") != std::string::npos);
}

TEST_CASE("resize scales the shorter side keeping the aspect ratio or to an exact size") {
  const auto resize = imgtest::make_transform("resize", "{size: 2}", hwc_u8(kVaries, kVaries, 3));
  CHECK(resize->output(hwc_u8(kVaries, kVaries, 3)) == hwc_u8(kVaries, kVaries, 3));
  CHECK(resize->output(hwc_u8(3, 5, 3)) == hwc_u8(2, 3, 3));  // floor(2 * 5 / 3)
  CHECK(apply(*resize, hwc_u8(4, 8, 3), std::vector<std::byte>(96)).layout == hwc_u8(2, 4, 3));
  CHECK(apply(*resize, hwc_u8(8, 4, 3), std::vector<std::byte>(96)).layout == hwc_u8(4, 2, 3));

  // Halving blends each 2x2 block equally (half-pixel centers).
  const std::vector<std::uint8_t> img{0, 40, 80, 120, 100, 60, 20, 0};
  const auto out = apply("resize", "{height: 1, width: 2}", hwc_u8(2, 4, 1), bytes_of(img));
  CHECK(out.layout == hwc_u8(1, 2, 1));
  CHECK(out.values<std::uint8_t>() == std::vector<std::uint8_t>{50, 55});
  const std::vector<float> imgf(img.begin(), img.end());
  const auto outf = apply("resize", "{height: 1, width: 2}", SampleLayout{{2, 4, 1}, DType::f32}, bytes_of(imgf));
  CHECK(outf.values<float>() == std::vector<float>{50.0f, 55.0f});
}

TEST_CASE("center_crop picks the center window") {
  std::vector<std::uint8_t> img;
  for (int y = 0; y < 5; ++y)
    for (int x = 0; x < 6; ++x) img.push_back(static_cast<std::uint8_t>(y * 10 + x));
  const auto crop = imgtest::make_transform("center_crop", "{height: 3, width: 4}", hwc_u8(kVaries, kVaries, 1));
  CHECK(crop->output(hwc_u8(kVaries, kVaries, 1)) == hwc_u8(3, 4, 1));
  const auto out = apply(*crop, hwc_u8(5, 6, 1), bytes_of(img));
  CHECK(out.values<std::uint8_t>() == std::vector<std::uint8_t>{11, 12, 13, 14, 21, 22, 23, 24, 31, 32, 33, 34});

  // Three channels: whole pixels move.
  std::vector<std::uint8_t> rgb(4 * 4 * 3);
  for (std::size_t i = 0; i < rgb.size(); ++i) rgb[i] = static_cast<std::uint8_t>(i);
  const auto out3 = apply("center_crop", "{size: 2}", hwc_u8(4, 4, 3), bytes_of(rgb));
  CHECK(out3.layout == hwc_u8(2, 2, 3));
  CHECK(out3.values<std::uint8_t>() == std::vector<std::uint8_t>{15, 16, 17, 18, 19, 20, 27, 28, 29, 30, 31, 32});
}

TEST_CASE("center_crop scales up an image smaller than the crop instead of padding it") {
  const auto flat = apply("center_crop", "{size: 4}", hwc_u8(2, 3, 1), bytes_of(std::vector<std::uint8_t>(6, 77)));
  CHECK(flat.layout == hwc_u8(4, 4, 1));
  CHECK(flat.values<std::uint8_t>() == std::vector<std::uint8_t>(16, 77));  // no black border
  // 2x2 → 4x4: pixel (1, 1) samples the source at (0.25, 0.25).
  const auto up = apply("center_crop", "{size: 4}", hwc_u8(2, 2, 1), bytes_of(std::vector<std::uint8_t>{0, 100, 100, 200}));
  const auto v = up.values<std::uint8_t>();
  CHECK(v[0] == 0);
  CHECK(v[5] == 50);
  CHECK(v[15] == 200);
}

TEST_CASE("random_flip with p 1 mirrors each row and with p 0 leaves the image alone") {
  const std::vector<std::uint8_t> rgb{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18};  // 2x3x3
  const auto flip = imgtest::make_transform("random_flip", "{p: 1}", hwc_u8(2, 3, 3));
  CHECK(flip->in_place());
  CHECK(apply(*flip, hwc_u8(2, 3, 3), bytes_of(rgb)).values<std::uint8_t>() ==
        std::vector<std::uint8_t>{7, 8, 9, 4, 5, 6, 1, 2, 3, 16, 17, 18, 13, 14, 15, 10, 11, 12});
  CHECK(apply("random_flip", "{p: 0}", hwc_u8(2, 3, 3), bytes_of(rgb)).values<std::uint8_t>() == rgb);
  const std::vector<float> f{1, 2, 3, 4};  // 2x2x1 float32
  CHECK(apply("random_flip", "{p: 1}", SampleLayout{{2, 2, 1}, DType::f32}, bytes_of(f)).values<float>() ==
        std::vector<float>{2, 1, 4, 3});
  // Two channels: pixels of a size with no specialization.
  CHECK(apply("random_flip", "{p: 1}", hwc_u8(1, 3, 2), bytes_of(std::vector<std::uint8_t>{1, 2, 3, 4, 5, 6}))
            .values<std::uint8_t>() == std::vector<std::uint8_t>{5, 6, 3, 4, 1, 2});
}

TEST_CASE("to_chw transposes HWC into CHW") {
  std::vector<std::uint8_t> hwc(2 * 2 * 3);
  for (std::size_t i = 0; i < hwc.size(); ++i) hwc[i] = static_cast<std::uint8_t>(i);
  const auto out = apply("to_chw", "", hwc_u8(2, 2, 3), bytes_of(hwc));
  CHECK(out.layout == hwc_u8(3, 2, 2));
  CHECK(out.values<std::uint8_t>() == std::vector<std::uint8_t>{0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11});
  const auto t = imgtest::make_transform("to_chw", "", SampleLayout{{kVaries, kVaries, 3}, DType::f32});
  CHECK(t->output(SampleLayout{{kVaries, kVaries, 3}, DType::f32}) == SampleLayout{{3, kVaries, kVaries}, DType::f32});
  const std::vector<float> f{1, 2, 3, 4, 5, 6};  // 1x3x2
  CHECK(apply(*t, SampleLayout{{1, 3, 2}, DType::f32}, bytes_of(f)).values<float>() == std::vector<float>{1, 3, 5, 2, 4, 6});
  const std::vector<std::uint16_t> h{1, 2, 3, 4, 5, 6, 7, 8};  // 1x2x4 float16 bits
  CHECK(apply("to_chw", "", SampleLayout{{1, 2, 4}, DType::f16}, bytes_of(h)).values<std::uint16_t>() ==
        std::vector<std::uint16_t>{1, 5, 2, 6, 3, 7, 4, 8});
}

TEST_CASE("normalize applies per-channel mean and std to HWC uint8 and CHW float32") {
  const std::string imagenet = "{mean: [1, 2, 3], std: [1, 2, 4]}";
  // HWC uint8 (5 pixels, 3 channels) → float32, inferred from the channel count last.
  std::vector<std::uint8_t> hwc;
  for (int p = 0; p < 5; ++p)
    for (int c = 0; c < 3; ++c) hwc.push_back(static_cast<std::uint8_t>(10 * p + 10 + c * 2));
  const auto n = imgtest::make_transform("normalize", imagenet, hwc_u8(5, 1, 3));
  CHECK_FALSE(n->in_place());
  const auto out = apply(*n, hwc_u8(5, 1, 3), bytes_of(hwc));
  CHECK(out.layout == SampleLayout{{5, 1, 3}, DType::f32});
  const auto v = out.values<float>();
  for (int p = 0; p < 5; ++p) {
    CHECK(v[p * 3 + 0] == doctest::Approx((10 * p + 10 - 1) / 1.0));
    CHECK(v[p * 3 + 1] == doctest::Approx((10 * p + 12 - 2) / 2.0));
    CHECK(v[p * 3 + 2] == doctest::Approx((10 * p + 14 - 3) / 4.0));
  }
  // CHW float32 in place: each plane its own values.
  const std::vector<float> chw{1, 1, 2, 2, 4, 4};  // 3x1x2
  const auto m = imgtest::make_transform("normalize", imagenet, SampleLayout{{3, 1, 2}, DType::f32});
  CHECK(m->in_place());
  CHECK(apply(*m, SampleLayout{{3, 1, 2}, DType::f32}, bytes_of(chw)).values<float>() ==
        std::vector<float>{0, 0, 0, 0, 0.25f, 0.25f});
  // An explicit layout overrides the inference (here 3x4x3 would read as CHW).
  const auto h = apply("normalize", "{mean: [0, 0, 30], layout: hwc}", hwc_u8(3, 4, 3), bytes_of(std::vector<std::uint8_t>(36, 30)));
  CHECK(h.values<float>()[2] == 0.0f);
  CHECK(h.values<float>()[3] == 30.0f);
  // One value: every element, any rank, still in place for float32.
  CHECK(apply("normalize", "{mean: 0.5, std: 0.25}", SampleLayout{{4}, DType::f32}, bytes_of(std::vector<float>{0.5f, 1, 0, 0.75f}))
            .values<float>() == std::vector<float>{0, 2, -2, 1});
}

TEST_CASE("normalize refuses per-channel values that do not match the channels") {
  CHECK(config_error("normalize", "{mean: [1, 2]}", hwc_u8(8, 8, 3)).find("has 2 values but the samples have 3 channels") !=
        std::string::npos);
  CHECK(config_error("normalize", "{mean: [1, 2, 3]}", SampleLayout{{48}, DType::f32}).find("per-channel values need") !=
        std::string::npos);
  CHECK(config_error("normalize", "", SampleLayout{{4}, DType::i32}).find("float32 or uint8") != std::string::npos);
  CHECK(config_error("normalize", "{std: [1, 0, 1]}", hwc_u8(8, 8, 3)).find("must be > 0") != std::string::npos);
}

TEST_CASE("cast converts the dtype with an optional scale and saturates integers") {
  const auto f = apply("cast", "{dtype: float32, scale: 0.00392156862745098}", SampleLayout{{3}, DType::u8},
                       bytes_of(std::vector<std::uint8_t>{0, 51, 255}));
  CHECK(f.layout == SampleLayout{{3}, DType::f32});
  CHECK(f.values<float>()[1] == doctest::Approx(0.2));
  CHECK(f.values<float>()[2] == doctest::Approx(1.0));
  const std::vector<float> wild{-3.0f, 0.4f, 0.6f, 254.6f, 300.0f, std::numeric_limits<float>::quiet_NaN()};
  CHECK(apply("cast", "{dtype: uint8}", SampleLayout{{6}, DType::f32}, bytes_of(wild)).values<std::uint8_t>() ==
        std::vector<std::uint8_t>{0, 0, 1, 255, 255, 0});
  const auto half = apply("cast", "{dtype: float16}", SampleLayout{{5}, DType::f32},
                          bytes_of(std::vector<float>{1.5f, 65504.0f, -2.0f, 0.1f, 70000.0f}));
  CHECK(half.values<std::uint16_t>() == std::vector<std::uint16_t>{0x3E00, 0x7BFF, 0xC000, 0x2E66, 0x7C00});
  CHECK(apply("cast", "{dtype: float32}", SampleLayout{{5}, DType::f16}, half.bytes).values<float>() ==
        std::vector<float>{1.5f, 65504.0f, -2.0f, 0.0999755859375f, std::numeric_limits<float>::infinity()});
  CHECK(apply("cast", "{dtype: int32, scale: 2}", SampleLayout{{2}, DType::f32}, bytes_of(std::vector<float>{1.25f, -3e10f}))
            .values<std::int32_t>() == std::vector<std::int32_t>{2, std::numeric_limits<std::int32_t>::min()});
  CHECK(imgtest::make_transform("cast", "{dtype: float32, scale: 2}", SampleLayout{{2}, DType::f32})->in_place());
  CHECK(config_error("cast", "", SampleLayout{{2}, DType::f32}).find("cast needs the dtype") != std::string::npos);
}

TEST_CASE("random_resized_crop is fixed in size and the same for the same seed epoch and id") {
  const int w = 40, h = 30;
  const auto img = as_bytes(imgtest::smooth_rgb(w, h));
  const auto rrc = imgtest::make_transform("random_resized_crop", "{size: 16}", hwc_u8(kVaries, kVaries, 3));
  CHECK(rrc->output(hwc_u8(kVaries, kVaries, 3)) == hwc_u8(16, 16, 3));
  int differ_by_epoch = 0, differ_by_seed = 0;
  for (std::int64_t id = 0; id < 16; ++id) {
    const auto a = apply(*rrc, hwc_u8(h, w, 3), img, {id, 0, 5});
    CHECK(a.layout == hwc_u8(16, 16, 3));
    CHECK(apply(*rrc, hwc_u8(h, w, 3), img, {id, 0, 5}).bytes == a.bytes);
    differ_by_epoch += apply(*rrc, hwc_u8(h, w, 3), img, {id, 1, 5}).bytes != a.bytes;
    differ_by_seed += apply(*rrc, hwc_u8(h, w, 3), img, {id, 0, 6}).bytes != a.bytes;
  }
  CHECK(differ_by_epoch >= 12);
  CHECK(differ_by_seed >= 12);
}

TEST_CASE("random_resized_crop of the whole image is a resize and falls back to a centered window") {
  const int w = 40, h = 30;
  const auto img = as_bytes(imgtest::smooth_rgb(w, h));
  // Area 1 at the image's own ratio: the window is the whole image.
  const auto whole = apply("random_resized_crop", "{size: 16, scale: [1, 1], ratio: [1.3333333333, 1.3333333333]}",
                           hwc_u8(h, w, 3), img, {3, 0, 1});
  CHECK(whole.bytes == apply("resize", "{height: 16, width: 16}", hwc_u8(h, w, 3), img).bytes);
  // No window of area 1 has a ratio of 2 to 3 in a 4:3 image: the fallback is the widest 2:1 window, centered
  // (rows 5 to 24), at its own size here, so a plain copy.
  const auto fallback = apply("random_resized_crop", "{height: 20, width: 40, scale: [1, 1], ratio: [2, 3]}",
                              hwc_u8(h, w, 3), img, {3, 0, 1});
  const std::vector<std::byte> rows(img.begin() + 5 * w * 3, img.begin() + 25 * w * 3);
  CHECK(fallback.bytes == rows);
}

TEST_CASE("random_flip draws the same for the same seed epoch and id and afresh each epoch") {
  const auto flip = imgtest::make_transform("random_flip", "", hwc_u8(1, 2, 1));
  const std::vector<std::uint8_t> img{1, 2};
  int flipped = 0, changed = 0;
  for (std::int64_t id = 0; id < 64; ++id) {
    const auto a = apply(*flip, hwc_u8(1, 2, 1), bytes_of(img), {id, 0, 9}).values<std::uint8_t>();
    CHECK(apply(*flip, hwc_u8(1, 2, 1), bytes_of(img), {id, 0, 9}).values<std::uint8_t>() == a);
    flipped += a[0] == 2;
    changed += apply(*flip, hwc_u8(1, 2, 1), bytes_of(img), {id, 1, 9}).values<std::uint8_t>() != a;
  }
  CHECK(flipped > 16);  // p = 0.5 of 64
  CHECK(flipped < 48);
  CHECK(changed > 16);
}

TEST_CASE("image transforms refuse a layout that is not an HWC image of a dtype they take") {
  std::string e = config_error("resize", "{size: 8}", SampleLayout{{3, 224, 224}, DType::f32});
  CHECK(e.find("resize needs HWC images") != std::string::npos);
  CHECK(e.find("channels-first") != std::string::npos);
  e = config_error("random_resized_crop", "{size: 8}", kEncoded);
  CHECK(e.find("put decode_jpeg first") != std::string::npos);
  CHECK(config_error("center_crop", "{size: 8}", SampleLayout{{8, 8, 3}, DType::i32}).find("uint8 or float32") !=
        std::string::npos);
  CHECK(config_error("center_crop", "{height: 8}", hwc_u8(8, 8, 3)).find("both height and width") != std::string::npos);
  CHECK(config_error("random_resized_crop", "{size: 8, scale: [0.5, 0.1]}", hwc_u8(8, 8, 3)).find("low must not be over high") !=
        std::string::npos);
}

}  // TEST_SUITE("data")
