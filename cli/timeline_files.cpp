#include "cli/timeline_files.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "feedgraph/errors.hpp"
#include "feedgraph/tools/timeline.hpp"

namespace feedgraph::cli {
namespace {

void write_text_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw Error("cannot write " + path + ": " + std::strerror(errno));
  out << text;
  out.flush();
  if (!out) throw Error("cannot write " + path + ": write failed");
}

void say(bool quiet, const std::string& line) {
  if (quiet) return;
  std::fputs(line.c_str(), stdout);
  std::fflush(stdout);
}

}  // namespace

void write_timeline_files(const std::vector<RunStats>& runs, const std::string& trace_path,
                          const std::string& report_path, bool quiet) {
  if (!trace_path.empty()) {
    write_text_file(trace_path, chrome_trace_json(runs));
    say(quiet, "trace: " + trace_path + " (open in https://ui.perfetto.dev)\n");
  }
  if (!report_path.empty()) {
    write_text_file(report_path, timeline_svg(runs));
    say(quiet, "report: " + report_path + "\n");
  }
}

}  // namespace feedgraph::cli
