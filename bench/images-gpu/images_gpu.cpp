// images-gpu: graphs/images-gpu.yaml (the files cross as read; nvJPEG decodes, one fused kernel crops, flips
// and normalizes) against the same pipeline decoding on the CPU with a transform worker per core
// (graphs/images.yaml's transforms). Both read cached files (dataset.cache), ten epochs, so that storage is
// out of the comparison. The bound is nvJPEG's batched decode alone on the same files in the same process.
// The note gives each variant's host CPU time per image: the GPU graph is meant to leave the cores free.
// Two folders: 320x240, and 500x375 (ImageNet's typical size), both with sizes jittered as photos' are.
#include <thread>

#include "runner/scenario.hpp"

namespace feedgraph::bench {
namespace {

Scenario images_gpu(const std::string& name, int width, int height) {
  const std::string dir = bench_data_dir() + "/images-" + std::to_string(width) + "x" + std::to_string(height) + "-jitter";
  Scenario s{name, "images-gpu.yaml",
             "decode + random-resized-crop 224 + flip + normalize on the GPU, against decoding on every core",
             false, true, device_decode_alone_bound};
  s.overrides = {"dataset.path=" + dir, "dataset.cache=true", "epochs=10"};
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  s.baseline = {"transforms=[decode_jpeg, {random_resized_crop: {size: 224}}, random_flip]",
                "device_transforms=[to_chw, {normalize: {mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375]}}]",
                "concurrency.transform=" + std::to_string(cores), "prefetch=" + std::to_string(2 * cores)};
  s.baseline_name = "decode on the CPU, " + std::to_string(cores) + " transform workers";
  s.prepare = make_images_once(dir, 8192, width, height, 0.3);
  s.report_cpu = true;
  return s;
}

}  // namespace

std::vector<Scenario> images_gpu_scenarios() {
  return {images_gpu("images-gpu", 320, 240), images_gpu("images-gpu-500", 500, 375)};
}

}  // namespace feedgraph::bench
