// RunStats::timeline as Chrome trace-event JSON (the "JSON Object Format" of the Trace Event Format), the
// common ground of Perfetto and chrome://tracing.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "feedgraph/tools/timeline.hpp"
#include "tools/timeline/lanes.hpp"

namespace feedgraph {
namespace {

using nlohmann::json;

/// Trace timestamps are microseconds; the run clock is seconds. Kept to the nanosecond, which is finer
/// than either clock resolves, so that the file does not carry 17-digit noise.
std::int64_t nanos(double seconds) { return std::llround(seconds * 1e9); }
double micros(double seconds) { return static_cast<double>(nanos(seconds)) / 1e3; }
double micros_between(double begin_s, double end_s) {
  return static_cast<double>(std::max<std::int64_t>(0, nanos(end_s) - nanos(begin_s))) / 1e3;
}

struct DepthPoint {
  double t;   ///< seconds on the run clock
  int depth;  ///< batches queued from t on
};

/// The batches that have left `previous` and not yet entered `node`, as a step function: one point per
/// change. A batch counts from its `previous` span's end to its `node` span's begin; if clock skew between
/// the host and a stream puts the begin first, the batch leaves the queue the instant it entered, so the
/// depth never goes negative.
std::vector<DepthPoint> queue_depth(const std::vector<TimelineSpan>& timeline, const std::string& previous,
                                    const std::string& node) {
  std::map<std::int64_t, double> arrived, started;
  for (const auto& s : timeline) {
    if (s.node == previous) {
      auto [it, fresh] = arrived.try_emplace(s.ticket, s.end_s);
      if (!fresh) it->second = std::max(it->second, s.end_s);
    } else if (s.node == node) {
      auto [it, fresh] = started.try_emplace(s.ticket, s.begin_s);
      if (!fresh) it->second = std::min(it->second, s.begin_s);
    }
  }
  std::vector<std::pair<double, int>> steps;  // (time, +1 arrives | -1 leaves)
  steps.reserve(arrived.size() * 2);
  for (const auto& [ticket, at] : arrived) {
    steps.emplace_back(at, +1);
    if (const auto it = started.find(ticket); it != started.end()) steps.emplace_back(std::max(at, it->second), -1);
  }
  std::sort(steps.begin(), steps.end());

  std::vector<DepthPoint> out{{0.0, 0}};
  int depth = 0;
  for (std::size_t i = 0; i < steps.size();) {
    // Everything at one instant counts as one change: a batch passing straight through is no blip.
    const double t = steps[i].first;
    for (; i < steps.size() && steps[i].first == t; ++i) depth += steps[i].second;
    if (depth == out.back().depth) continue;
    if (t == out.back().t) {
      out.back().depth = depth;
    } else {
      out.push_back({t, depth});
    }
  }
  return out;
}

json metadata(const char* name, int pid, int tid, json args) {
  json e{{"ph", "M"}, {"name", name}, {"pid", pid}, {"args", std::move(args)}};
  if (tid >= 0) e["tid"] = tid;
  return e;
}

void append_run(const RunStats& run, int pid, std::vector<json>& events) {
  events.push_back(metadata("process_name", pid, -1, {{"name", run.graph + " (" + run.variant + ")"}}));
  // Runs stay in the order given: for compare, the serial twin above the graph.
  events.push_back(metadata("process_sort_index", pid, -1, {{"sort_index", pid}}));

  const auto lanes = detail::ordered_lanes(run.timeline);
  std::map<std::string, int> tid_of;
  for (std::size_t i = 0; i < lanes.size(); ++i) {
    const int tid = static_cast<int>(i) + 1;
    tid_of.emplace(lanes[i], tid);
    events.push_back(metadata("thread_name", pid, tid, {{"name", lanes[i]}}));
    events.push_back(metadata("thread_sort_index", pid, tid, {{"sort_index", tid}}));
  }

  for (const auto& s : run.timeline) {
    events.push_back({{"ph", "X"},
                      {"name", s.node},
                      {"cat", s.node},
                      {"pid", pid},
                      {"tid", tid_of.at(s.lane)},
                      {"ts", micros(s.begin_s)},
                      {"dur", micros_between(s.begin_s, s.end_s)},
                      {"args", {{"batch", s.ticket}}}});
  }

  const auto nodes = detail::ordered_nodes(run.timeline);
  for (std::size_t i = 1; i < nodes.size(); ++i) {
    const std::string name = nodes[i] + " queue";
    for (const auto& p : queue_depth(run.timeline, nodes[i - 1], nodes[i]))
      events.push_back({{"ph", "C"}, {"name", name}, {"pid", pid}, {"ts", micros(p.t)}, {"args", {{"depth", p.depth}}}});
  }
}

}  // namespace

std::string chrome_trace_json(const std::vector<RunStats>& runs) {
  std::vector<json> events;
  for (std::size_t i = 0; i < runs.size(); ++i) append_run(runs[i], static_cast<int>(i) + 1, events);

  json other{{"feedgraph", FEEDGRAPH_VERSION}};
  if (!runs.empty()) other["device"] = runs.front().backend + ": " + runs.front().device_name;

  // One event per line: the file stays greppable and diffable, and the viewers do not care. `replace` keeps
  // a stray byte in a graph name from failing a finished run.
  const auto dump = [](const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); };
  std::string out = "{\"displayTimeUnit\": \"ms\",\n\"otherData\": " + dump(other) + ",\n\"traceEvents\": [\n";
  for (std::size_t i = 0; i < events.size(); ++i) {
    out += dump(events[i]);
    out += i + 1 < events.size() ? ",\n" : "\n";
  }
  out += "]}\n";
  return out;
}

}  // namespace feedgraph
