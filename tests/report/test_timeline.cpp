// The Chrome trace and the SVG timeline: they parse, and they show every lane and every span of a run.
#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../graph/graph_test_util.hpp"
#include "feedgraph/tools/timeline.hpp"

using namespace feedgraph;

namespace {

/// A run of the small host pipeline with several workers per host node, so lanes read/0 and read/1 appear.
RunStats small_run(bool serial) {
  auto spec = parse_pipeline(fgtest::small_graph(96, 8, 2, "concurrency: {read: 2, transform: 2, pin: 1}\n"), "t.yaml");
  return run(serial ? serial_twin(spec) : spec);
}

std::set<std::string> timeline_lanes(const RunStats& s) {
  std::set<std::string> lanes;
  for (const auto& span : s.timeline) lanes.insert(span.lane);
  return lanes;
}

/// "" when `svg` is well-formed as far as this writer can go wrong: it starts with <svg and ends with
/// </svg>, every tag opened is closed in order, attribute quotes balance, and text holds no raw '<' or a
/// '&' that starts no entity. Otherwise, what is wrong and where.
std::string xml_problem(const std::string& svg) {
  const auto first = svg.find_first_not_of(" \t\r\n");
  if (first == std::string::npos || svg.compare(first, 4, "<svg") != 0) return "does not start with <svg";
  const auto last = svg.find_last_not_of(" \t\r\n");
  if (last < 5 || svg.compare(last - 5, 6, "</svg>") != 0) return "does not end with </svg>";

  std::vector<std::string> open;
  std::size_t i = first;
  auto where = [&](std::size_t at) { return " at offset " + std::to_string(at); };
  while (i < svg.size()) {
    const char c = svg[i];
    if (c == '&') {
      const auto semi = svg.find(';', i);
      if (semi == std::string::npos || semi - i > 8 || semi == i + 1) return "bare '&'" + where(i);
      i = semi + 1;
      continue;
    }
    if (c != '<') {
      if (c == '>') return "bare '>'" + where(i);
      ++i;
      continue;
    }
    if (svg.compare(i, 4, "<!--") == 0) {
      const auto end = svg.find("-->", i);
      if (end == std::string::npos) return "unterminated comment" + where(i);
      i = end + 3;
      continue;
    }
    const bool closing = i + 1 < svg.size() && svg[i + 1] == '/';
    std::size_t j = i + (closing ? 2 : 1);
    const std::size_t name_begin = j;
    while (j < svg.size() && (std::isalnum(static_cast<unsigned char>(svg[j])) || svg[j] == '-' || svg[j] == ':' || svg[j] == '_'))
      ++j;
    const std::string name = svg.substr(name_begin, j - name_begin);
    if (name.empty()) return "tag without a name" + where(i);
    // Up to the tag's '>', outside quotes.
    char quote = 0;
    for (; j < svg.size(); ++j) {
      if (quote) {
        if (svg[j] == quote) quote = 0;
        else if (svg[j] == '<') return "'<' in an attribute of <" + name + ">" + where(j);
      } else if (svg[j] == '"' || svg[j] == '\'') {
        quote = svg[j];
      } else if (svg[j] == '>') {
        break;
      } else if (svg[j] == '<') {
        return "'<' inside <" + name + ">" + where(j);
      }
    }
    if (j >= svg.size()) return "unterminated <" + name + ">" + where(i);
    const bool self_closing = svg[j - 1] == '/';
    if (closing) {
      if (open.empty() || open.back() != name)
        return "</" + name + "> closes " + (open.empty() ? std::string("nothing") : "<" + open.back() + ">") + where(i);
      open.pop_back();
    } else if (!self_closing) {
      open.push_back(name);
    }
    i = j + 1;
    if (open.empty() && i <= last) return "content after the root element" + where(i);
  }
  if (!open.empty()) return "<" + open.back() + "> never closed";
  return "";
}

bool valid_utf8(const std::string& text) {
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    const std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > text.size()) return false;
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return false;
    i += n;
  }
  return true;
}

/// The text of every <text class="lane-label" ...>...</text>, in document order.
std::vector<std::string> lane_labels(const std::string& svg) {
  std::vector<std::string> out;
  const std::string marker = "class=\"lane-label\"";
  for (auto at = svg.find(marker); at != std::string::npos; at = svg.find(marker, at + 1)) {
    const auto begin = svg.find('>', at) + 1;
    out.push_back(svg.substr(begin, svg.find('<', begin) - begin));
  }
  return out;
}

}  // namespace

TEST_SUITE_BEGIN("report");

TEST_CASE("the trace parses and has a named lane per timeline lane and an X event per span") {
  const RunStats s = small_run(false);
  REQUIRE_FALSE(s.timeline.empty());
  const auto trace = nlohmann::json::parse(chrome_trace_json({s}));
  CHECK(trace.at("displayTimeUnit") == "ms");
  const auto& events = trace.at("traceEvents");
  REQUIRE(events.is_array());

  std::map<int, std::string> thread_names;
  std::set<int> sorted_tids;
  std::string process_name;
  std::size_t complete = 0;
  for (const auto& e : events) {
    CHECK(e.at("pid") == 1);
    const auto ph = e.at("ph").get<std::string>();
    if (ph == "M" && e.at("name") == "thread_name") thread_names[e.at("tid").get<int>()] = e.at("args").at("name").get<std::string>();
    if (ph == "M" && e.at("name") == "thread_sort_index") sorted_tids.insert(e.at("tid").get<int>());
    if (ph == "M" && e.at("name") == "process_name") process_name = e.at("args").at("name").get<std::string>();
    if (ph != "X") continue;
    ++complete;
    const double ts = e.at("ts").get<double>(), dur = e.at("dur").get<double>();
    CHECK(dur >= 0);
    CHECK(ts >= 0);
    CHECK(ts + dur <= s.wall_s * 1e6 + 1.0);  // 1 µs of rounding
    CHECK(e.at("args").contains("batch"));
    CHECK(thread_names.count(e.at("tid").get<int>()) == 1);  // metadata comes before the spans
  }
  CHECK(process_name == "small (concurrent)");
  CHECK(complete == s.timeline.size());

  std::set<std::string> named;
  for (const auto& [tid, name] : thread_names) {
    named.insert(name);
    CHECK(sorted_tids.count(tid) == 1);
  }
  CHECK(named == timeline_lanes(s));
  for (const char* lane : {"read/0", "transform/0", "pin/0", "copy stream", "compute stream"}) {
    CAPTURE(lane);
    CHECK(named.count(lane) == 1);
  }
  // Pipeline order by tid: node workers by node then worker index (read/1 only if two reads overlapped),
  // then the copy stream, then the compute stream.
  const std::vector<std::string> order{"read", "transform", "pin", "copy stream", "compute stream"};
  auto position = [&](const std::string& lane) {
    const auto slash = lane.find('/');
    const auto node = slash == std::string::npos ? lane : lane.substr(0, slash);
    const long worker = slash == std::string::npos ? 0 : std::stol(lane.substr(slash + 1));
    return std::pair{std::find(order.begin(), order.end(), node) - order.begin(), worker};
  };
  std::vector<std::string> by_tid;
  for (const auto& [tid, name] : thread_names) by_tid.push_back(name);
  for (std::size_t i = 1; i < by_tid.size(); ++i) {
    CAPTURE(by_tid[i - 1]);
    CAPTURE(by_tid[i]);
    CHECK(position(by_tid[i - 1]) < position(by_tid[i]));
  }
}

TEST_CASE("queue-depth counters never go negative and drain to zero") {
  const RunStats s = small_run(false);
  const auto trace = nlohmann::json::parse(chrome_trace_json({s}));
  std::map<std::string, int> last_depth;
  std::size_t counters = 0;
  for (const auto& e : trace.at("traceEvents")) {
    if (e.at("ph") != "C") continue;
    ++counters;
    const auto name = e.at("name").get<std::string>();
    const int depth = e.at("args").at("depth").get<int>();
    CAPTURE(name);
    CHECK(depth >= 0);
    CHECK(depth <= s.batches);
    last_depth[name] = depth;
  }
  CHECK(counters > 0);
  // One counter per node after read; every batch that reached a node's queue left it.
  CHECK(last_depth.size() == s.nodes.size() - 1);
  CHECK(last_depth.count("read queue") == 0);
  for (const auto& [name, depth] : last_depth) {
    CAPTURE(name);
    CHECK(depth == 0);
  }
}

TEST_CASE("compare writes one trace with a process per run") {
  const std::vector<RunStats> runs{small_run(true), small_run(false)};
  const auto trace = nlohmann::json::parse(chrome_trace_json(runs));
  std::map<int, std::string> processes;
  std::map<int, std::size_t> spans;
  for (const auto& e : trace.at("traceEvents")) {
    if (e.at("ph") == "M" && e.at("name") == "process_name") processes[e.at("pid").get<int>()] = e.at("args").at("name").get<std::string>();
    if (e.at("ph") == "X") ++spans[e.at("pid").get<int>()];
  }
  CHECK(processes == std::map<int, std::string>{{1, "small (serial)"}, {2, "small (concurrent)"}});
  CHECK(spans[1] == runs[0].timeline.size());
  CHECK(spans[2] == runs[1].timeline.size());
}

TEST_CASE("the SVG is well-formed and has a lane label per lane for both runs of a compare") {
  const std::vector<RunStats> runs{small_run(true), small_run(false)};
  const std::string svg = timeline_svg(runs);
  CHECK(xml_problem(svg) == "");
  CHECK(svg.find("<script") == std::string::npos);
  CHECK(svg.find("href") == std::string::npos);

  // Labels come run by run, the serial twin first, each run's lanes once.
  const auto labels = lane_labels(svg);
  const auto twin = timeline_lanes(runs[0]), graph = timeline_lanes(runs[1]);
  REQUIRE(labels.size() == twin.size() + graph.size());
  CHECK(std::set<std::string>(labels.begin(), labels.begin() + static_cast<long>(twin.size())) == twin);
  CHECK(std::set<std::string>(labels.begin() + static_cast<long>(twin.size()), labels.end()) == graph);
  CHECK(graph.count("copy stream") == 1);
  // One rect with a tooltip per span.
  std::size_t tooltips = 0;
  for (auto at = svg.find("<title>"); at != std::string::npos; at = svg.find("<title>", at + 1)) ++tooltips;
  CHECK(tooltips == runs[0].timeline.size() + runs[1].timeline.size());
  CHECK(svg.find("<title>read batch 5: ") != std::string::npos);
}

TEST_CASE("names that are not plain text are escaped in the SVG and the trace") {
  RunStats s;
  s.graph = "a<b & \"c\" 'd'";
  s.variant = "concurrent";
  s.wall_s = 0.01;
  // Long enough to be shortened, with the cut falling inside a two-byte character.
  s.verdict = "x > y " + std::string(160, 'v') + "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9";
  s.timeline = {{"read/0", "read", 0, 0.0, 0.004}, {"odd <lane> & co", "odd&node", 0, 0.004, 0.006},
                {"compute stream", "compute", 0, 0.006, 0.01}};
  const std::string svg = timeline_svg({s});
  CHECK(xml_problem(svg) == "");
  CHECK(svg.find("a&lt;b &amp; &quot;c&quot; &apos;d&apos;") != std::string::npos);
  CHECK(svg.find("x &gt; y") != std::string::npos);
  CHECK(valid_utf8(svg));
  CHECK(lane_labels(svg).size() == 3);

  const auto trace = nlohmann::json::parse(chrome_trace_json({s}));
  bool named = false;
  for (const auto& e : trace.at("traceEvents"))
    if (e.at("name") == "process_name") named = e.at("args").at("name") == "a<b & \"c\" 'd' (concurrent)";
  CHECK(named);
}

TEST_CASE("lanes appear in pipeline order with workers by index and streams last") {
  RunStats s;
  s.graph = "order";
  s.variant = "concurrent";
  s.wall_s = 0.01;
  for (const char* lane : {"compute stream", "read/10", "read/2", "copy stream", "transform/0", "pin/0", "read/0"}) {
    const std::string name(lane);
    const auto node = name.find('/') != std::string::npos ? name.substr(0, name.find('/'))
                      : name == "copy stream"             ? std::string("copy")
                                                          : std::string("compute");
    s.timeline.push_back({name, node, 0, 0.001, 0.002});
  }
  const std::vector<std::string> expected{"read/0", "read/2",  "read/10",       "transform/0",
                                          "pin/0",  "copy stream", "compute stream"};
  CHECK(lane_labels(timeline_svg({s})) == expected);

  const auto trace = nlohmann::json::parse(chrome_trace_json({s}));
  std::map<int, std::string> by_tid;
  std::map<int, int> sort_index;
  for (const auto& e : trace.at("traceEvents")) {
    if (e.at("name") == "thread_name") by_tid[e.at("tid").get<int>()] = e.at("args").at("name").get<std::string>();
    if (e.at("name") == "thread_sort_index") sort_index[e.at("tid").get<int>()] = e.at("args").at("sort_index").get<int>();
  }
  std::vector<std::string> names;
  for (const auto& [tid, name] : by_tid) {
    names.push_back(name);
    CHECK(sort_index[tid] == tid);
  }
  CHECK(names == expected);
}

TEST_CASE("the SVG checker rejects what it must") {
  CHECK(xml_problem("<svg><g></svg>") != "");
  CHECK(xml_problem("<svg><rect x=\"1/></svg>") != "");
  CHECK(xml_problem("<svg><text>a < b</text></svg>") != "");
  CHECK(xml_problem("<svg><text>a & b</text></svg>") != "");
  CHECK(xml_problem("<g></g>") != "");
  CHECK(xml_problem("<svg><rect x=\"1\"/><text>a &amp; b</text></svg>") == "");
}

TEST_CASE("an empty run list gives an empty trace and an SVG with no lanes") {
  const auto trace = nlohmann::json::parse(chrome_trace_json({}));
  CHECK(trace.at("traceEvents").empty());
  const std::string svg = timeline_svg({});
  CHECK(xml_problem(svg) == "");
  CHECK(lane_labels(svg).empty());
}

TEST_SUITE_END();
