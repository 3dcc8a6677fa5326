#pragma once
// What the decode tests share (tests/decode, and the nvJPEG ones in tests/gpu): folders of photo-like JPEG
// files whose sizes vary, and every sample a pass delivered, copied out of its batch.
#include <doctest/doctest.h>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "feedgraph/feedgraph.hpp"
#include "feedgraph/tools/make_dataset.hpp"

namespace decodetest {

/// make-dataset's images: `samples` files of about `width` x `height` (±30% a side) in 4 class folders.
inline feedgraph::MadeDataset jittered_images(const std::string& out, int samples, int width, int height) {
  feedgraph::MakeDatasetOptions o;
  o.kind = "images";
  o.samples = samples;
  o.out = out;
  o.width = width;
  o.height = height;
  o.size_jitter = 0.3;
  o.classes = 4;
  return feedgraph::make_dataset(o);
}

struct Pulled {
  std::vector<std::int64_t> ids, labels;
  std::vector<std::vector<std::uint8_t>> samples;  // each sample's bytes, in delivery order
  feedgraph::SampleLayout layout;
  feedgraph::RunStats stats;
};

/// Copies `bytes` of a batch out to host memory (the batch may be in device memory).
using CopyOut = std::function<void(void* to, const void* from, std::size_t bytes)>;

/// One pass over the pipeline `yaml`, every batch pulled and its samples copied out with `copy_out`
/// (memcpy when empty: the host backend's batches are in host memory).
inline Pulled pull(const std::string& yaml, const CopyOut& copy_out = {}) {
  feedgraph::Pipeline p(feedgraph::parse_pipeline(yaml, "decode.yaml"));
  Pulled out;
  for (feedgraph::DeviceBatch& b : p.batches()) {
    out.layout = *b.sample_layout();
    const std::size_t sample = out.layout.bytes();
    REQUIRE(b.size_bytes() == sample * static_cast<std::size_t>(b.samples()));
    std::vector<std::uint8_t> all(b.size_bytes());
    if (copy_out)
      copy_out(all.data(), b.data(), all.size());
    else if (!all.empty())
      std::memcpy(all.data(), b.data(), all.size());
    for (std::int64_t j = 0; j < b.samples(); ++j) {
      out.ids.push_back(b.sample_ids()[static_cast<std::size_t>(j)]);
      out.labels.push_back(b.host_labels()[static_cast<std::size_t>(j)]);
      out.samples.emplace_back(all.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(j) * sample),
                               all.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(j + 1) * sample));
    }
  }
  out.stats = p.stats();
  return out;
}

}  // namespace decodetest
