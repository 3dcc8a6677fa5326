// jpeg-decode: JPEG decoding (decode_jpeg → center_crop 224 of 320x240 files) on the host backend with two
// transform workers against one: decoding must scale with concurrency.transform (no shared decoder, no
// lock on the hot path). On the 2-core machine the target is 1.8x. verify is off: the host stand-in's copy
// and checksum stand in for GPU work, and on two cores they would take their time from the decoders.
#include "runner/scenario.hpp"

namespace feedgraph::bench {

Scenario jpeg_decode_scenario() {
  const std::string dir = bench_data_dir() + "/images-320x240";
  Scenario s{"jpeg-decode", "images.yaml", "JPEG decode throughput: two transform workers against one", true, true,
             no_bound};
  s.overrides = {"dataset.path=" + dir, "epochs=3", "batch_size=32", "transforms=[decode_jpeg, {center_crop: {size: 224}}]",
                 "device_transforms=[]", "concurrency.read=1", "concurrency.transform=2", "concurrency.pin=1",
                 "transfer.direct=true", "prefetch=4", "verify=false"};
  s.baseline = {"concurrency.transform=1"};
  s.baseline_name = "one transform worker";
  s.prepare = make_images_once(dir, 2000, 320, 240);
  return s;
}

}  // namespace feedgraph::bench
