#pragma once
// What `feedgraph probe` prints and writes, built from a ProbeResult alone so that tests can pin down the
// table and the `--json` keys without measuring anything.
//
//   auto result = feedgraph::probe({});
//   std::cout << feedgraph::cli::probe_text(result);
//   feedgraph::cli::write_json_file("probe.json", feedgraph::cli::probe_report_json(result));
#include <string>

#include <nlohmann/json.hpp>

#include "feedgraph/tools/probe.hpp"

namespace feedgraph::cli {

/// The `probe` object: backend, device, cores, copy engines, pcie, memcpy rates and the link table.
nlohmann::ordered_json probe_json(const ProbeResult& result);
/// The whole `--json` document: {"feedgraph": version, "probe": probe_json(result)}.
nlohmann::ordered_json probe_report_json(const ProbeResult& result);
/// The device line, the link table (or why there is none) and the host lines; whole lines.
std::string probe_text(const ProbeResult& result);

}  // namespace feedgraph::cli
