// decode_jpeg's options in device_transforms that choose and drive nvJPEG's decoder. The engine reads them here,
// before the stage's factory runs (which then rejects nothing it did not ask for); the stage itself only refuses
// them in `transforms`, where the host decodes with libjpeg-turbo.
//
//   backend: auto | hardware | cuda | hybrid   (default auto) nvJPEG's decoder: auto takes the GPU's decode
//       engines where it has them, else the SMs (cuda)
//   hardware_load: 0..1        (default 1) with the engines, the share of each batch's files they take; the SMs
//       decode the rest at the same time (DALI's hw_decoder_load)
//   lanes: 1..8                (default 3) how many batches decode at once, each on its own nvJPEG states,
//       streams and decoded-image scratch: one batch's chain of short steps leaves the GPU idle between them.
//       A batch holds its device buffer while it decodes, so buffers.device defaults to lanes + 2 (GraphShape)
//   hardware_threads: 1..8     (default 1) how many host threads submit a batch's share to the engines at once,
//       each a part of it: nvJPEG's call holds its thread while the engines work. On the H100 (bench/RESULTS.md,
//       session 16) a second thread lowered nvJPEG's own rate on 500x375 files and cost a core: 1 by default
#include "backend/device_transform.hpp"

namespace feedgraph::detail {
namespace {

int read_lanes(const StageOptions& o) {
  return static_cast<int>(o.integer("lanes", kDefaultDecodeLanes, {.min = 1, .max = 8}));
}

}  // namespace

void read_device_decode_options(const StageOptions& o, DeviceDecode& d) {
  d.backend = o.choice("backend", "auto", {"auto", "hardware", "cuda", "hybrid"});
  d.hardware_load = o.number("hardware_load", 1.0, {.min = 0.0, .max = 1.0});
  d.lanes = read_lanes(o);
  d.hardware_threads = static_cast<int>(o.integer("hardware_threads", 1, {.min = 1, .max = 8}));
  if (d.backend != "auto" && d.backend != "hardware") {
    for (const char* key : {"hardware_load", "hardware_threads"})
      if (o.has(key))
        o.fail(key, std::string(key) + " drives the GPU's decode engines: it needs backend auto or hardware, not " +
                        d.backend);
  }
}

int decode_lanes(const PipelineSpec& spec) noexcept {
  if (!spec.decodes_on_device()) return 0;
  try {
    return read_lanes(spec.device_transforms.front().options);
  } catch (...) {
    return kDefaultDecodeLanes;
  }
}

}  // namespace feedgraph::detail
