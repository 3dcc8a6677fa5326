// images: graphs/images.yaml as it ships (uint8 crosses the link, the GPU normalizes) against the same graph
// normalizing on the host, so that float32 crosses (4x the bytes). Both read a folder of small JPEG files
// (160x120, cheap to decode, so the host can outrun the link and the bytes per sample decide) and write
// straight into page-locked buffers (transfer.direct), so the only difference is where normalize runs.
#include "runner/scenario.hpp"

namespace feedgraph::bench {

Scenario images_scenario() {
  const std::string dir = bench_data_dir() + "/images-160x120";
  Scenario s{"images", "images.yaml", "uint8 across the link + normalize on the GPU, against float32 across the link",
             false, true, no_bound};
  s.overrides = {"dataset.path=" + dir};
  s.baseline = {"device_transforms=[]",
                "transforms=[decode_jpeg, {random_resized_crop: {size: 224}}, random_flip, to_chw, "
                "{normalize: {mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375]}}]"};
  s.baseline_name = "float32 across the link (normalize on the host)";
  s.prepare = make_images_once(dir, 4096, 160, 120);
  return s;
}

}  // namespace feedgraph::bench
