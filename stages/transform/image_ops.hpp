#pragma once
// What the image transforms share: the check that a layout is an HWC image, the `size` options of the crops,
// and the bilinear resampler that resize, center_crop and random_resized_crop run on.
//
// Images are HWC (height x width x channels, channels last, 1 to 4 of them), uint8 as decode_jpeg leaves them
// or float32; geometry is done before to_chw, on the compact uint8 form.
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string_view>

#include "feedgraph/layout.hpp"
#include "feedgraph/options.hpp"
#include "feedgraph/stage.hpp"

namespace feedgraph::stages::image {

/// The dimensions of one image sample, from its actual (fixed) HWC layout.
struct Hwc {
  std::int64_t height = 0, width = 0, channels = 0;
  static Hwc of(const SampleLayout& layout) { return {layout.shape[0], layout.shape[1], layout.shape[2]}; }
};

/// Fails `o` (the stage's block) unless `layout` is an HWC image: rank 3, a fixed last dimension of 1 to 4
/// channels, and one of `dtypes`. `stage` names the transform in the message.
void require_hwc(const StageOptions& o, std::string_view stage, const SampleLayout& layout,
                 std::initializer_list<DType> dtypes);

/// An output size: `size: S` (S x S) or `height: H` with `width: W`.
struct Size2 {
  std::int64_t height = 0, width = 0;
};
Size2 read_size(const StageOptions& o);

/// One axis of a resample (feedgraph/stage.hpp): a crop of a resize is one pass, with no intermediate image.
using Axis = ResampleAxis;

/// Bilinear resampling with half-pixel centers and samples clamped to the input region, no antialiasing
/// (OpenCV's INTER_LINEAR, torch's bilinear with align_corners=False): the same as cropping the region and
/// resizing the crop. uint8 is computed in 11-bit fixed point and rounded; float32 in float.
/// `src` is an HWC image `src_width` pixels wide; `dst` receives y.out_size x x.out_size x channels.
void resample(DType dtype, const std::byte* src, std::int64_t src_width, std::int64_t channels, const Axis& y,
              const Axis& x, std::byte* dst);

/// Copies the `height` x `width` window at (top, left) of an HWC image, no resampling.
void copy_window(const std::byte* src, const Hwc& in, std::size_t element_bytes, std::int64_t top,
                 std::int64_t left, std::int64_t height, std::int64_t width, std::byte* dst);

}  // namespace feedgraph::stages::image
