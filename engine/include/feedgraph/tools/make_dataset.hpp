#pragma once
// Write a dataset from the synthetic generator, so that every example and test runs without downloads.
//
//   feedgraph::MakeDatasetOptions o;
//   o.kind = "images"; o.samples = 1000; o.out = "data/images"; o.classes = 10;
//   auto written = feedgraph::make_dataset(o);   // data/images/class_003/000042.jpg ...
//
// `records` and `npy` hold exactly the bytes `source: synthetic` gives for the same shape, dtype and seed
// (sample i of the dataset is synthetic sample i), so a reader can be checked byte for byte against it;
// record i carries label i % classes. `images` writes JPEG files, one subfolder per class.
#include <cstdint>
#include <string>
#include <vector>

#include "feedgraph/layout.hpp"

namespace feedgraph {

struct MakeDatasetOptions {
  std::string kind = "records";  ///< records | npy | images
  std::int64_t samples = 1024;
  std::string out;               ///< records: a file, or a folder when shards > 1; npy: a file; images: a folder
  SampleLayout sample{{3, 32, 32}, DType::u8};  ///< records and npy
  std::uint64_t seed = 0;        ///< the synthetic generator's seed
  int classes = 10;              ///< labels cycle through 0..classes-1
  int shards = 1;                ///< records: how many shard files (out is then a folder of *.rec)
  int width = 256, height = 256; ///< images
  /// images: each image's width and height are `width` and `height` scaled by factors drawn uniformly in
  /// [1 - jitter, 1 + jitter] from (seed, sample), independently, so sizes and aspect ratios vary as photos'
  /// do. 0 to below 1; 0: every image the same size.
  double size_jitter = 0;
  int quality = 90;              ///< images: JPEG quality
};

struct MadeDataset {
  std::vector<std::string> files;  ///< every file written
  std::uint64_t bytes = 0;         ///< their total size
};

/// Throws ConfigError ("make-dataset", naming the option) when the options make no sense, and Error naming
/// the path when the output cannot be written.
MadeDataset make_dataset(const MakeDatasetOptions& options);

}  // namespace feedgraph
