#include "backend/encoded_batch.hpp"

namespace feedgraph::detail {

JpegDeviceInput jpeg_device_input(std::span<const std::byte> file) {
  const auto at = [&](std::size_t i) { return static_cast<unsigned>(file[i]); };
  const std::size_t n = file.size();
  const JpegDeviceInput none;
  if (n < 4 || at(0) != 0xFF || at(1) != 0xD8) return none;
  unsigned frame_components = 0;
  bool engine_sampling = true, restarts = false;
  std::size_t i = 2;
  while (i + 4 <= n) {
    if (at(i) != 0xFF) return none;
    const unsigned marker = at(i + 1);
    if (marker == 0xFF) {  // fill byte before a marker
      ++i;
      continue;
    }
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) {  // markers without a length
      i += 2;
      continue;
    }
    const std::size_t length = (at(i + 2) << 8) | at(i + 3);
    const std::size_t segment = i + 4;
    if (length < 2 || i + 2 + length > n) return none;
    const bool start_of_frame = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (start_of_frame) {
      if (marker != 0xC0 || length < 8) return none;  // progressive, extended, lossless or arithmetic coding
      frame_components = at(segment + 5);
      if ((frame_components != 1 && frame_components != 3) || length < 8 + 3 * frame_components) return none;
      for (unsigned c = 0; c < frame_components; ++c) {
        const unsigned sampling = at(segment + 6 + 3 * c + 1), h = sampling >> 4, v = sampling & 15;
        if (c == 0 ? (h < 1 || h > 2 || v < 1 || v > 2) : (h != 1 || v != 1)) engine_sampling = false;
      }
    } else if (marker == 0xDD && length >= 4) {  // define restart interval: 0 turns restarts off again
      restarts = ((at(segment) << 8) | at(segment + 1)) != 0;
    } else if (marker == 0xDA) {  // the first scan: one scan holds every component, or the file has several
      if (frame_components == 0 || length < 3 || at(segment) != frame_components) return none;
      return JpegDeviceInput{engine_sampling, !restarts};
    }
    i += 2 + length;
  }
  return none;
}

void mark_device_input(EncodedSample& e, std::span<const std::byte> file) {
  const JpegDeviceInput input = jpeg_device_input(file);
  e.suits_hardware = input.engines;
  e.suits_sms = input.sms;
}

}  // namespace feedgraph::detail
