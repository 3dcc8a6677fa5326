#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>

#include <filesystem>

#include <fmt/format.h>

#include "feedgraph/tools/bounds.hpp"
#include "feedgraph/tools/make_dataset.hpp"
#include "feedgraph/tools/probe.hpp"
#include "runner/scenario.hpp"

namespace feedgraph::bench {

Bound stage_bound(const BoundInputs& in) {
  double best = std::numeric_limits<double>::infinity();
  std::string which;
  for (const auto& serial_node : in.serial.nodes) {
    if (serial_node.name == "copy" || serial_node.name == "compute" || serial_node.batches == 0) continue;
    int conc = 1;
    for (const auto& n : in.concurrent.nodes)
      if (n.name == serial_node.name) conc = n.concurrency;
    const double service = serial_node.busy_s / static_cast<double>(serial_node.batches);  // s per batch
    if (service <= 0) continue;
    const double batches_per_s = conc / service;
    if (batches_per_s < best) best = batches_per_s, which = serial_node.name;
  }
  if (!std::isfinite(best)) return {};
  const double samples_per_batch = static_cast<double>(in.concurrent.samples) / static_cast<double>(in.concurrent.batches);
  return {best * samples_per_batch, "slowest host stage (" + which + ") over its concurrency"};
}

Bound compute_bound(const BoundInputs& in) {
  if (in.concurrent.compute_s <= 0) return {};
  return {static_cast<double>(in.concurrent.samples) / in.concurrent.compute_s, "compute stream alone (kernel event time)"};
}

Bound transfer_bound(const BoundInputs& in) {
  const double sample_bytes = static_cast<double>(in.plan.transfer_layout.bytes());  // what crosses the link
  if (in.plan.backend == "cuda") {
    const double gbps = pinned_h2d_ceiling_gbps(in.plan.device_index, in.plan.batch_bytes);
    return {gbps * 1e9 / sample_bytes, "raw pinned copy loop at " + format_bytes(in.plan.batch_bytes) + ": " +
                                          std::to_string(gbps).substr(0, 5) + " GB/s"};
  }
  ProbeOptions o;
  o.device = "host";
  o.repeats = 3;
  const auto p = probe(o);
  return {p.memcpy_gbps_one_thread * 1e9 / sample_bytes, "one thread's memcpy (the host stand-in's copy engine)"};
}

std::function<void()> make_images_once(std::string dir, std::int64_t samples, int width, int height, double size_jitter) {
  return [=] {
    if (std::filesystem::exists(dir)) return;
    MakeDatasetOptions o;
    o.kind = "images";
    o.samples = samples;
    o.width = width;
    o.height = height;
    o.out = dir;
    o.size_jitter = size_jitter;
    make_dataset(o);
  };
}

std::string bench_data_dir() {
  const char* dir = std::getenv("FEEDGRAPH_BENCH_DATA");
  return dir && *dir ? dir : "bench-data";
}

Bound transforms_alone_bound(const BoundInputs& in) {
  const int threads = std::max(1, in.spec.concurrency.transform);
  const TransformsAlone r = measure_transforms_alone(in.spec, threads);
  return {r.threads_samples_per_s,
          fmt::format("transforms alone on {} threads (1 thread: {:.0f}/s, {:.2f}x)", threads,
                      r.one_thread_samples_per_s, r.threads_samples_per_s / r.one_thread_samples_per_s)};
}

Bound device_decode_alone_bound(const BoundInputs& in) {
  const DeviceDecodeAlone r = measure_device_decode_alone(in.spec);
  return {r.samples_per_s, fmt::format("nvJPEG batched decode alone ({}), files already on the device, its one thread "
                                       "in the decoder's calls {:.0f}% of the time", r.decoder, 100 * r.host_share)};
}

}  // namespace feedgraph::bench
