// `feedgraph probe`: measure this machine's ceilings and print them (and write --json).
#include <cstdio>

#include "cli/commands.hpp"
#include "cli/probe_report.hpp"
#include "cli/report.hpp"
#include "feedgraph/tools/probe.hpp"
#include "feedgraph/spec.hpp"

namespace feedgraph::cli {

int probe_command(const ProbeArgs& probe_args, const CommandArgs& args) {
  check_json_destination(args.json_path);
  ProbeOptions options;
  if (!args.device.empty()) options.device = args.device;
  options.repeats = probe_args.repeats;
  if (!probe_args.sizes.empty()) {
    // main.cpp has checked each size, so these parse.
    options.sizes.clear();
    for (const auto& text : probe_args.sizes) options.sizes.push_back(static_cast<std::size_t>(parse_byte_size(text)));
  }
  const ProbeResult result = probe(options);
  std::fputs(probe_text(result).c_str(), stdout);
  std::fflush(stdout);
  if (!args.json_path.empty()) write_json_file(args.json_path, probe_report_json(result));
  return 0;
}

}  // namespace feedgraph::cli
