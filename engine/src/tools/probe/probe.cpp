// probe(): pick the backend the way a run does (device: auto | cuda | cuda:N | host), measure the link when
// there is one, then the host. The host figures come last so that the link table is taken on a quiet
// machine, and neither disturbs the other.
#include "feedgraph/tools/probe.hpp"

#include <string>

#include "backend/backend.hpp"
#include "feedgraph/errors.hpp"
#include "feedgraph/spec.hpp"
#include "tools/probe/probe_detail.hpp"

namespace feedgraph {

ProbeResult probe(const ProbeOptions& options) {
  if (options.repeats < 1) throw Error("probe: repeats must be >= 1, not " + std::to_string(options.repeats));
  for (const std::size_t bytes : options.sizes) {
    if (bytes == 0) throw Error("probe: a transfer size must be > 0 bytes");
  }
  const detail::DeviceChoice choice = detail::choose_device(parse_device(options.device));

  ProbeResult r;
  r.backend = choice.kind == BackendKind::cuda ? "cuda" : "host";
  r.device_name = choice.name;
  r.device_reason = choice.reason;
  r.device_index = choice.index;
  r.repeats = options.repeats;
  if (choice.kind == BackendKind::cuda) {
    detail::CudaRates cuda = detail::probe_cuda(choice.index, options.sizes, options.repeats);
    r.device_name = std::move(cuda.device_name);
    r.pcie = std::move(cuda.pcie);
    r.copy_engines = cuda.copy_engines;
    r.link = std::move(cuda.link);
    r.pinned_memcpy_gbps_one_thread = cuda.pinned_memcpy_one_thread_gbps;
  }
  const detail::HostRates host = detail::probe_host(options.repeats);
  r.cores = host.cores;
  r.memcpy_bytes = host.bytes;
  r.memcpy_gbps_one_thread = host.one_thread_gbps;
  r.memcpy_gbps_all_cores = host.all_cores_gbps;
  return r;
}

}  // namespace feedgraph
