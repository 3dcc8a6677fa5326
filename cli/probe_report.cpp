// The `feedgraph probe` report. The table keeps two decimals of GB/s: at 64 KiB a pageable copy moves well
// under 10 GB/s, and the small sizes are where the figures differ most.
#include "cli/probe_report.hpp"

#include <iterator>

#include <fmt/format.h>

#include "feedgraph/pipeline.hpp"
#include "feedgraph/spec.hpp"

namespace feedgraph::cli {
namespace {

nlohmann::ordered_json link_json(const LinkRate& row) {
  return {
      {"bytes", row.bytes},
      {"pinned_h2d_gbps", row.pinned_h2d_gbps},
      {"pageable_h2d_gbps", row.pageable_h2d_gbps},
      {"pinned_d2h_gbps", row.pinned_d2h_gbps},
      {"pageable_d2h_gbps", row.pageable_d2h_gbps},
  };
}

/// "cuda:0, PCI 0000:1B:00.0; device: auto found 1 CUDA device(s)"
std::string device_details(const ProbeResult& r) {
  std::string details;
  if (r.backend == "cuda") {
    details = fmt::format("cuda:{}", r.device_index);
    if (!r.pcie.empty()) details += ", PCI " + r.pcie;
  }
  if (!r.device_reason.empty()) details += (details.empty() ? "" : "; ") + r.device_reason;
  return details;
}

}  // namespace

nlohmann::ordered_json probe_json(const ProbeResult& r) {
  auto link = nlohmann::ordered_json::array();
  for (const auto& row : r.link) link.push_back(link_json(row));
  return {
      {"backend", r.backend},
      {"device_name", r.device_name},
      {"device_reason", r.device_reason},
      {"device_index", r.device_index},
      {"pcie", r.pcie},
      {"cores", r.cores},
      {"copy_engines", r.copy_engines},
      {"repeats", r.repeats},
      {"memcpy_bytes", r.memcpy_bytes},
      {"memcpy_gbps_one_thread", r.memcpy_gbps_one_thread},
      {"memcpy_gbps_all_cores", r.memcpy_gbps_all_cores},
      {"pinned_memcpy_gbps_one_thread", r.pinned_memcpy_gbps_one_thread},
      {"link", std::move(link)},
  };
}

nlohmann::ordered_json probe_report_json(const ProbeResult& r) {
  nlohmann::ordered_json document;
  document["feedgraph"] = feedgraph::version();
  document["probe"] = probe_json(r);
  return document;
}

std::string probe_text(const ProbeResult& r) {
  const bool cuda = r.backend == "cuda";
  std::string out;
  auto it = std::back_inserter(out);
  const std::string details = device_details(r);
  fmt::format_to(it, "probe on {}: {}{}\n\n", r.backend, r.device_name, details.empty() ? "" : " (" + details + ")");

  if (cuda) {
    fmt::format_to(it, "  link, GB/s (median of {})\n", r.repeats);
    fmt::format_to(it, "  {:>10}  {:>10}  {:>12}  {:>10}  {:>12}\n", "size", "pinned H2D", "pageable H2D", "pinned D2H",
                   "pageable D2H");
    for (const auto& row : r.link) {
      fmt::format_to(it, "  {:>10}  {:>10.2f}  {:>12.2f}  {:>10.2f}  {:>12.2f}\n", format_bytes(row.bytes),
                     row.pinned_h2d_gbps, row.pageable_h2d_gbps, row.pinned_d2h_gbps, row.pageable_d2h_gbps);
    }
  } else {
    out += "  link           not measured: the H2D and D2H rows need a CUDA device (--device cuda)\n";
  }
  out += '\n';

  fmt::format_to(it, "  cores          {}\n", r.cores);
  fmt::format_to(it, "  memcpy         1 thread {:.2f} GB/s, all {} cores {:.2f} GB/s ({} buffers, median of {})\n",
                 r.memcpy_gbps_one_thread, r.cores, r.memcpy_gbps_all_cores, format_bytes(r.memcpy_bytes), r.repeats);
  if (cuda) {
    fmt::format_to(it, "  pinned memcpy  1 thread {:.2f} GB/s (pageable into page-locked memory: one pin worker)\n",
                   r.pinned_memcpy_gbps_one_thread);
    fmt::format_to(it, "  copy engines   {}\n", r.copy_engines);
  } else {
    out += "  pinned memcpy  needs a CUDA device\n";
    out += "  copy engines   needs a CUDA device\n";
  }
  return out;
}

}  // namespace feedgraph::cli
