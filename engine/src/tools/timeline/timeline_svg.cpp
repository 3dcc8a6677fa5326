// RunStats::timeline as one self-contained SVG: the runs stacked on a common time axis, one lane per node
// worker and per stream. Plain string building: the picture is a few thousand rects and some text.
#include <algorithm>
#include <cmath>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "feedgraph/tools/timeline.hpp"
#include "tools/timeline/lanes.hpp"

namespace feedgraph {
namespace {

// --- Geometry (px) -----------------------------------------------------------------------------------
constexpr double kWidth = 1200;
constexpr double kMargin = 20;
constexpr double kBusyColumn = 52;   // right of the plot: each lane's busy share of the run's wall
constexpr double kLaneHeight = 14;
constexpr double kLanePitch = 18;
constexpr double kGroupGap = 8;      // between one node's workers and the next node's
// A span narrower than a pixel would vanish, so an isolated one is drawn kMinSpanWidth wide. Spans packed
// closer than kIsolationGap keep their true width: widened, a lane busy 1% of the time would look solid,
// while at true width the renderer's coverage shows how busy it really was.
constexpr double kMinSpanWidth = 0.5;
constexpr double kIsolationGap = 2;
constexpr double kEdgedSpanWidth = 3;  // wider spans get a hairline edge, so back-to-back batches stay apart

// A fixed palette (Tableau 10): a node keeps its colour across runs and across reports.
struct NodeStyle {
  std::string_view node, fill;
};
constexpr NodeStyle kPalette[] = {{"read", "#4e79a7"},
                                  {"transform", "#f28e2b"},
                                  {"pin", "#59a14f"},
                                  {"copy", "#e15759"},
                                  {"compute", "#76b7b2"}};
constexpr std::string_view kOtherFill = "#9c9c9c";
constexpr std::string_view kIdleFill = "#fbe3e3";  // the compute stream's lane: what shows through is idle

std::string_view fill_of(std::string_view node) {
  for (const auto& s : kPalette)
    if (s.node == node) return s.fill;
  return kOtherFill;
}

/// Text for XML content and attribute values. Control characters are not allowed in XML 1.0 at all.
std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') {
          out += '?';
        } else {
          out += c;
        }
    }
  }
  return out;
}

/// At most `limit` bytes, cut at a character boundary (a split UTF-8 sequence would make the XML invalid).
std::string shortened(const std::string& text, std::size_t limit) {
  if (text.size() <= limit) return text;
  std::size_t cut = limit - 3;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut) + "...";
}

/// Three significant digits or so: "812", "12.3", "1.23", "0.123".
std::string format_ms(double ms) {
  const double a = std::abs(ms);
  if (a >= 100) return fmt::format("{:.0f}", ms);
  if (a >= 10) return fmt::format("{:.1f}", ms);
  if (a >= 1) return fmt::format("{:.2f}", ms);
  return fmt::format("{:.3f}", ms);
}

std::string format_rate(double per_s) {
  return per_s >= 100 ? fmt::format("{:.0f}", per_s) : fmt::format("{:.1f}", per_s);
}

std::string percent(double fraction) { return fmt::format("{:.0f}%", std::clamp(fraction, 0.0, 1.0) * 100); }

/// A lane's busy share of the wall; "<1%" rather than a "0%" that would hide a lane that did work.
std::string busy_text(double busy_s, double wall_s) {
  if (!(wall_s > 0)) return "-";
  const double f = busy_s / wall_s;
  return f > 0 && f < 0.005 ? std::string("<1%") : percent(f);
}

/// Tick spacing of 1, 2 or 5 × 10^k ms giving about `target` ticks over [0, span_ms].
double tick_step(double span_ms, int target) {
  const double raw = span_ms / target;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double norm = raw / magnitude;
  return (norm < 1.5 ? 1 : norm < 3.5 ? 2 : norm < 7.5 ? 5 : 10) * magnitude;
}

std::string tick_label(double ms, double step) {
  const int decimals = step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(step) - 1e-9));
  return fmt::format("{:.{}f}", ms, decimals);
}

/// Node worker lanes group by node ("transform/0".."transform/3"); the streams form one group.
std::string lane_group(const std::string& lane) {
  const auto slash = lane.rfind('/');
  return slash == std::string::npos ? std::string("streams") : lane.substr(0, slash);
}

class SvgWriter {
 public:
  explicit SvgWriter(const std::vector<RunStats>& runs) : runs_(runs) {
    std::size_t longest = 14;  // "compute stream"
    for (const auto& run : runs_) {
      for (const auto& s : run.timeline) {
        longest = std::max(longest, s.lane.size());
        t_max_s_ = std::max(t_max_s_, s.end_s);
      }
      t_max_s_ = std::max(t_max_s_, run.wall_s);
    }
    if (!(t_max_s_ > 0)) t_max_s_ = 1e-3;
    plot_x0_ = kMargin + 7.0 * static_cast<double>(longest) + 14;
    plot_x1_ = kWidth - kMargin - kBusyColumn;
    step_ms_ = tick_step(t_max_s_ * 1e3, 10);
    // The axis ends on a tick past the last span, so the scale reads cleanly to its end.
    ticks_ = std::max(1, static_cast<int>(std::ceil(t_max_s_ * 1e3 / step_ms_ - 1e-9)));
    axis_ms_ = ticks_ * step_ms_;
  }

  std::string render() {
    std::string body;
    double y = header(body);
    for (const auto& run : runs_) y = run_block(body, run, y);
    const double height = y + kMargin - 16;

    std::string out;
    fmt::format_to(std::back_inserter(out),
                   "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0:.0f}\" height=\"{1:.0f}\" "
                   "viewBox=\"0 0 {0:.0f} {1:.0f}\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n",
                   kWidth, height);
    out += "<style>\n"
           "text { fill: #1f2933; font-size: 11px; }\n"
           ".title { font-size: 14px; font-weight: bold; }\n"
           ".sub { fill: #52606d; }\n"
           ".lane-label { text-anchor: end; font-family: DejaVu Sans Mono, Menlo, Consolas, monospace; }\n"
           ".busy { text-anchor: end; fill: #52606d; }\n"
           ".tick { text-anchor: middle; fill: #52606d; font-size: 10px; }\n"
           ".grid { stroke: #e4e7eb; stroke-width: 1; }\n"
           ".axis { stroke: #7b8794; stroke-width: 1; }\n"
           ".edge { stroke: #ffffff; stroke-width: 0.6; }\n"
           "</style>\n";
    fmt::format_to(std::back_inserter(out), "<rect width=\"{:.0f}\" height=\"{:.0f}\" fill=\"#ffffff\"/>\n", kWidth,
                   height);
    out += body;
    out += "</svg>\n";
    return out;
  }

 private:
  double x_of(double t_s) const { return plot_x0_ + (plot_x1_ - plot_x0_) * (t_s * 1e3 / axis_ms_); }

  /// Heading and legend; returns the y where the first run starts.
  double header(std::string& out) const {
    double y = kMargin + 14;
    std::string heading = "feedgraph timeline";
    if (runs_.size() >= 2 && runs_.front().samples_per_s > 0) {
      heading += fmt::format(" \u2014 speedup {:.2f}\u00d7 (samples/s of the last run over the first)",
                             runs_.back().samples_per_s / runs_.front().samples_per_s);
    }
    fmt::format_to(std::back_inserter(out), "<text class=\"title\" x=\"{:.0f}\" y=\"{:.0f}\">{}</text>\n", kMargin, y,
                   xml_escape(heading));
    y += 20;

    // Legend: the nodes that appear, in pipeline order, then what the tinted compute lane means.
    std::vector<TimelineSpan> one_per_node;
    std::set<std::string> seen;
    for (const auto& run : runs_)
      for (const auto& s : run.timeline)
        if (seen.insert(s.node).second) one_per_node.push_back(s);
    double x = kMargin;
    auto swatch = [&](std::string_view fill, const std::string& label) {
      fmt::format_to(std::back_inserter(out),
                     "<rect x=\"{:.0f}\" y=\"{:.0f}\" width=\"12\" height=\"12\" rx=\"2\" fill=\"{}\"/>"
                     "<text x=\"{:.0f}\" y=\"{:.0f}\">{}</text>\n",
                     x, y - 10, fill, x + 17, y, xml_escape(label));
      x += 17 + 7.0 * static_cast<double>(label.size()) + 18;
    };
    for (const auto& node : detail::ordered_nodes(one_per_node)) swatch(fill_of(node), node);
    swatch(kIdleFill, "compute stream idle (GPU starved)");
    fmt::format_to(std::back_inserter(out),
                   "<text class=\"sub\" x=\"{:.0f}\" y=\"{:.0f}\">hover a span for its batch and duration</text>\n", x,
                   y);
    return y + 26;
  }

  /// One run: title, subtitle, lanes, axis; returns the y below it.
  double run_block(std::string& out, const RunStats& run, double y) const {
    fmt::format_to(std::back_inserter(out),
                   "<text x=\"{:.0f}\" y=\"{:.0f}\"><tspan class=\"title\">{} ({})</tspan>"
                   "<tspan dx=\"8\">{} samples/s \u00b7 wall {} ms \u00b7 GPU idle {} \u00b7 copy hidden {}</tspan>"
                   "</text>\n",
                   kMargin, y, xml_escape(run.graph), xml_escape(run.variant), format_rate(run.samples_per_s),
                   format_ms(run.wall_s * 1e3), percent(run.gpu_idle_fraction), percent(run.copy_hidden_fraction));
    y += 17;
    const std::string verdict = shortened(run.verdict, 170);
    fmt::format_to(std::back_inserter(out), "<text class=\"sub\" x=\"{:.0f}\" y=\"{:.0f}\">{}{}{}</text>\n", kMargin,
                   y, xml_escape(run.backend.empty() ? std::string("?") : run.backend),
                   run.device_name.empty() ? "" : ": " + xml_escape(run.device_name),
                   verdict.empty() ? "" : " \u2014 " + xml_escape(verdict));
    y += 10;
    fmt::format_to(std::back_inserter(out), "<text class=\"busy\" x=\"{:.0f}\" y=\"{:.0f}\">busy</text>\n",
                   kWidth - kMargin, y);
    y += 6;

    const auto lanes = detail::ordered_lanes(run.timeline);
    if (lanes.empty()) {
      fmt::format_to(std::back_inserter(out), "<text class=\"sub\" x=\"{:.0f}\" y=\"{:.0f}\">no spans recorded</text>\n",
                     plot_x0_, y + 12);
      return y + 40;
    }

    // Lane rows, with a wider gap where the node changes.
    std::map<std::string, double> row_y;
    double lanes_top = y, row = y;
    for (std::size_t i = 0; i < lanes.size(); ++i) {
      if (i > 0 && lane_group(lanes[i]) != lane_group(lanes[i - 1])) row += kGroupGap;
      row_y[lanes[i]] = row;
      row += kLanePitch;
    }
    const double lanes_bottom = row - (kLanePitch - kLaneHeight);

    // Each lane: label, a band over the run's wall (tinted on the compute stream, so its gaps read as idle),
    // and its busy share.
    std::map<std::string, double> busy_s;
    for (const auto& s : run.timeline) busy_s[s.lane] += std::max(0.0, s.end_s - s.begin_s);
    const double wall_end = std::max(run.wall_s, 0.0);
    for (const auto& lane : lanes) {
      const double ly = row_y[lane];
      const bool compute_lane = lane == "compute stream";
      fmt::format_to(std::back_inserter(out),
                     "<text class=\"lane-label\" x=\"{:.0f}\" y=\"{:.1f}\">{}</text>"
                     "<rect x=\"{:.2f}\" y=\"{:.0f}\" width=\"{:.2f}\" height=\"{:.0f}\" fill=\"{}\"/>"
                     "<text class=\"busy\" x=\"{:.0f}\" y=\"{:.1f}\">{}</text>\n",
                     plot_x0_ - 8, ly + kLaneHeight - 3, xml_escape(lane), x_of(0), ly, x_of(wall_end) - x_of(0),
                     kLaneHeight, compute_lane ? kIdleFill : std::string_view("#f2f4f7"), kWidth - kMargin,
                     ly + kLaneHeight - 3, xml_escape(busy_text(busy_s[lane], wall_end)));
    }

    // The grid over the bands, so times read across every lane; the spans paint over it.
    out += "<g>\n";
    for (int i = 0; i <= ticks_; ++i) {
      fmt::format_to(std::back_inserter(out),
                     "<line class=\"grid\" x1=\"{0:.2f}\" x2=\"{0:.2f}\" y1=\"{1:.0f}\" y2=\"{2:.0f}\"/>\n",
                     x_of(i * step_ms_ / 1e3), lanes_top - 2, lanes_bottom + 2);
    }
    out += "</g>\n";

    // The spans.
    const auto widths = drawn_widths(run.timeline);
    out += "<g>\n";
    for (std::size_t i = 0; i < run.timeline.size(); ++i) {
      const auto& s = run.timeline[i];
      const double x = x_of(s.begin_s);
      const double w = widths[i];
      const double dur_ms = std::max(0.0, s.end_s - s.begin_s) * 1e3;
      fmt::format_to(std::back_inserter(out),
                     "<rect x=\"{:.2f}\" y=\"{:.0f}\" width=\"{:.2f}\" height=\"{:.0f}\" fill=\"{}\"{}>"
                     "<title>{} batch {}: {} ms ({} \u2013 {} ms)</title></rect>\n",
                     x, row_y[s.lane], w, kLaneHeight, fill_of(s.node), w >= kEdgedSpanWidth ? " class=\"edge\"" : "",
                     xml_escape(s.node), s.ticket,
                     format_ms(dur_ms), format_ms(s.begin_s * 1e3), format_ms(s.end_s * 1e3));
    }
    out += "</g>\n";

    // The time axis, on the scale every run shares.
    const double axis_y = lanes_bottom + 6;
    fmt::format_to(std::back_inserter(out), "<line class=\"axis\" x1=\"{0:.2f}\" x2=\"{1:.2f}\" y1=\"{2:.0f}\" y2=\"{2:.0f}\"/>\n",
                   x_of(0), x_of(axis_ms_ / 1e3), axis_y);
    for (int i = 0; i <= ticks_; ++i) {
      const double ms = i * step_ms_;
      const double x = x_of(ms / 1e3);
      fmt::format_to(std::back_inserter(out),
                     "<line class=\"axis\" x1=\"{0:.2f}\" x2=\"{0:.2f}\" y1=\"{1:.0f}\" y2=\"{2:.0f}\"/>"
                     "<text class=\"tick\" x=\"{0:.2f}\" y=\"{3:.0f}\">{4}</text>\n",
                     x, axis_y, axis_y + 4, axis_y + 15, tick_label(ms, step_ms_));
    }
    fmt::format_to(std::back_inserter(out), "<text class=\"sub\" x=\"{:.0f}\" y=\"{:.0f}\">ms</text>\n",
                   plot_x1_ + 22, axis_y + 15);
    return axis_y + 44;
  }

  /// Each span's width in px: its true width, or kMinSpanWidth where it stands alone on its lane.
  std::vector<double> drawn_widths(const std::vector<TimelineSpan>& timeline) const {
    std::map<std::string, std::vector<std::size_t>> by_lane;
    for (std::size_t i = 0; i < timeline.size(); ++i) by_lane[timeline[i].lane].push_back(i);
    std::vector<double> widths(timeline.size());
    for (auto& [lane, spans] : by_lane) {
      std::sort(spans.begin(), spans.end(),
                [&](std::size_t a, std::size_t b) { return timeline[a].begin_s < timeline[b].begin_s; });
      for (std::size_t k = 0; k < spans.size(); ++k) {
        const auto& s = timeline[spans[k]];
        const double width = std::max(0.0, x_of(s.end_s) - x_of(s.begin_s));
        const bool room_before = k == 0 || x_of(s.begin_s) - x_of(timeline[spans[k - 1]].end_s) >= kIsolationGap;
        const bool room_after =
            k + 1 == spans.size() || x_of(timeline[spans[k + 1]].begin_s) - x_of(s.end_s) >= kIsolationGap;
        widths[spans[k]] = room_before && room_after ? std::max(width, kMinSpanWidth) : width;
      }
    }
    return widths;
  }

  const std::vector<RunStats>& runs_;
  double t_max_s_ = 0;
  double plot_x0_ = 0, plot_x1_ = 0;
  double step_ms_ = 1, axis_ms_ = 1;
  int ticks_ = 1;
};

}  // namespace

std::string timeline_svg(const std::vector<RunStats>& runs) { return SvgWriter(runs).render(); }

}  // namespace feedgraph
