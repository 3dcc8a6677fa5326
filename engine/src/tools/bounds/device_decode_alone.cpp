// The bound of a graph that decodes on the device: nvJPEG's batched decode alone over the pipeline's files,
// already in device memory (feedgraph/tools/bounds.hpp). A build without nvJPEG says so.
#include "feedgraph/tools/bounds.hpp"

#include "feedgraph/errors.hpp"

#if FEEDGRAPH_HAVE_NVJPEG
#include <algorithm>
#include <chrono>
#include <cstring>
#include <utility>
#include <vector>

#include "backend/device_transform.hpp"
#include "cuda/handles.hpp"
#include "cuda/nvjpeg_decoder.hpp"
#include "graph/assembly.hpp"
#include "samples/cached_source.hpp"

namespace feedgraph {
namespace fd = feedgraph::detail;

DeviceDecodeAlone measure_device_decode_alone(const PipelineSpec& spec, int repetitions) {
  if (repetitions < 1) throw Error("measure_device_decode_alone: repetitions must be >= 1");
  const auto a = fd::assemble(spec);
  if (!a->device_transform.decode) throw Error("measure_device_decode_alone: " + spec.name + " does not decode on the device");
  if (a->device.kind != BackendKind::cuda) throw Error("measure_device_decode_alone: " + spec.name + " runs on no cuda device");
  const fd::DeviceDecode& d = *a->device_transform.decode;
  // Every file the host's check passes, packed as a ragged batch packs them, placed on the device once.
  std::vector<std::byte> packed;
  std::vector<fd::EncodedSample> files;
  for (std::int64_t id = 0; id < a->source->size(); ++id) {
    fd::CachedSample s;
    try {
      fd::CachedSampleOut out(s);
      a->source->read(id, out);
      const std::span<const std::byte> file{s.bytes.get(), s.layout.bytes()};
      const auto image = d.decoder->inspect(SampleView{file, s.layout});
      if (!image) continue;
      fd::EncodedSample e;
      e.offset = packed.size();
      e.bytes = file.size();
      e.height = image->shape[0];
      e.width = image->shape[1];
      fd::mark_device_input(e, file);
      packed.resize(fd::next_encoded_offset(e.offset, e.bytes));
      std::memcpy(packed.data() + e.offset, file.data(), file.size());
      files.push_back(e);
    } catch (const DataError&) {
      // a bad file: the graph leaves it out too
    }
  }
  if (files.empty()) throw Error("measure_device_decode_alone: " + spec.name + " has no file to decode");
  FG_CUDA(cudaSetDevice(a->device.index));
  const fd::DeviceBuffer on_device = fd::make_device(packed.size());
  FG_CUDA(cudaMemcpy(on_device.get(), packed.data(), packed.size(), cudaMemcpyHostToDevice));
  const auto batch = static_cast<std::size_t>(spec.batch_size);
  fd::NvjpegDecoder decoder(a->device.index, d.backend, d.channels, spec.batch_size, d.hardware_load, d.lanes,
                            d.hardware_threads);
  std::size_t scratch_bytes = 0;
  for (std::size_t first = 0; first < files.size(); first += batch) {
    std::size_t need = 0;
    for (std::size_t k = first; k < std::min(files.size(), first + batch); ++k) need += fd::decoded_image_bytes(files[k], d.channels);
    scratch_bytes = std::max(scratch_bytes, need);
  }
  // A scratch per lane: the batches take the lanes in turn and decode at once, as in the graph.
  std::vector<fd::DeviceBuffer> scratches;
  for (int lane = 0; lane < decoder.lanes(); ++lane) scratches.push_back(fd::make_device(scratch_bytes));
  const fd::Stream stream = fd::make_stream();
  // The files are on the device before the first pass: every lane may start at once.
  const fd::Event ready = fd::make_event_untimed();
  FG_CUDA(cudaEventRecord(ready.get(), stream.get()));
  const auto* on_device_files = static_cast<const std::byte*>(on_device.get());
  // Every file's host copy, which the decoder reads where no device-input decoder takes the file.
  std::vector<const std::byte*> host_files;
  for (const fd::EncodedSample& e : files) host_files.push_back(packed.data() + e.offset);
  std::vector<std::uint8_t*> outputs;
  int lane = 0;
  double in_calls = 0;  // seconds the thread spent in decoder.decode
  auto pass = [&] {
    for (std::size_t first = 0; first < files.size(); first += batch) {
      const std::size_t count = std::min(batch, files.size() - first);
      outputs.clear();
      // Each lane decodes into a scratch of its own; nothing reads the pixels, so a lane's next batch may
      // overwrite its last.
      auto* p = static_cast<std::uint8_t*>(scratches[static_cast<std::size_t>(lane)].get());
      for (std::size_t k = first; k < first + count; ++k) {
        outputs.push_back(p);
        p += fd::decoded_image_bytes(files[k], d.channels);
      }
      const auto call = std::chrono::steady_clock::now();
      decoder.decode(lane, {files.data() + first, count}, on_device_files, {host_files.data() + first, count},
                     outputs.data(), ready.get(), nullptr, stream.get());
      in_calls += std::chrono::duration<double>(std::chrono::steady_clock::now() - call).count();
      lane = (lane + 1) % decoder.lanes();
    }
  };
  pass();  // warm: nvJPEG sizes its buffers on the first batches
  FG_CUDA(cudaStreamSynchronize(stream.get()));
  std::vector<std::pair<double, double>> rates;  // samples/s, host share
  for (int r = 0; r < repetitions; ++r) {
    in_calls = 0;
    const auto start = std::chrono::steady_clock::now();
    std::int64_t decoded = 0;
    double seconds = 0;
    do {
      pass();
      FG_CUDA(cudaStreamSynchronize(stream.get()));
      decoded += static_cast<std::int64_t>(files.size());
      seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    } while (seconds < 0.5);
    rates.emplace_back(static_cast<double>(decoded) / seconds, in_calls / seconds);
  }
  std::sort(rates.begin(), rates.end());
  const auto& median = rates[rates.size() / 2];
  return {median.first, decoder.name(), median.second};
}

}  // namespace feedgraph

#else

namespace feedgraph {
DeviceDecodeAlone measure_device_decode_alone(const PipelineSpec&, int) {
  throw Error("measure_device_decode_alone: this build has no nvJPEG (FEEDGRAPH_NVJPEG is off, or the CUDA toolkit "
              "it was built with has no nvjpeg.h)");
}
}  // namespace feedgraph

#endif
