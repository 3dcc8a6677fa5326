#pragma once
// What the host alone can do with a pipeline's transforms: the ceiling a transform-bound graph is measured
// against (`feedgraph-bench jpeg-decode`).
//
//   auto rate = feedgraph::measure_transforms_alone(feedgraph::load_pipeline("graphs/images.yaml"), 2);
//   std::cout << rate.threads_samples_per_s / rate.one_thread_samples_per_s << "x on 2 threads\n";
#include <string>

#include "feedgraph/spec.hpp"

namespace feedgraph {

/// Samples/s of the transforms alone, on one thread and on `threads`.
struct TransformsAlone {
  double one_thread_samples_per_s = 0;
  double threads_samples_per_s = 0;
  int threads = 1;
};

/// The pipeline's host transforms on plain threads over its samples, read into memory once first: no graph,
/// no reads from storage, no copy, no compute. Each thread copies a sample out of memory as the read node
/// does and writes the result into a batch-sized buffer of its own, slot after slot, as a transform worker
/// writes into its batch, so the output's memory traffic is counted as the graph has it. Thread t takes
/// samples t, t + threads, ... of each of the file's epochs; samples the source cannot read are left out.
/// One thread and `threads` run interleaved, `repetitions` times each; the medians are returned. Builds the
/// pipeline's stages itself (one assembly). Throws Error for threads or repetitions below 1, what building
/// throws (ConfigError for bad stage options, Error for no device or unreadable data files), Error for a
/// pipeline that decodes on the device (its host runs no transforms), and, as thrown,
/// what the source throws (a DataError only leaves its sample out) or a transform throws (a DataError too).
TransformsAlone measure_transforms_alone(const PipelineSpec& spec, int threads, int repetitions = 3);

/// What the GPU's JPEG decoder alone does with a pipeline's files.
struct DeviceDecodeAlone {
  double samples_per_s = 0;
  std::string decoder;  ///< what decoded: "hardware (7 engines)", "cuda" or "hybrid"
  /// The share of the median pass's wall its one submitting thread spent in the decoder's calls (0..1). Near 1,
  /// the bound is that thread's, not the GPU's: nvJPEG's batched calls do host work and may wait on the device.
  double host_share = 0;
};

/// The bound of a pipeline that decodes on the device (`device_transforms: [decode_jpeg, ...]`): nvJPEG's
/// batched decode alone, as the pipeline's decoder runs it (same backend, same batch size), over the
/// pipeline's files placed in device memory once: no graph, no reads, no copy, no crop or normalize. The
/// median of `repetitions` passes over every file (each at least half a second). Throws Error for a pipeline
/// that does not decode on a cuda device, or in a build without nvJPEG; ConfigError as building does.
DeviceDecodeAlone measure_device_decode_alone(const PipelineSpec& spec, int repetitions = 3);

}  // namespace feedgraph
