#pragma once
// Pictures of where the time went, built from RunStats::timeline alone: a Chrome trace-event
// file for Perfetto or chrome://tracing, and a self-contained SVG that puts runs one above the other.
//
//   auto twin  = feedgraph::run(feedgraph::serial_twin(spec));
//   auto graph = feedgraph::run(spec);
//   std::ofstream("trace.json") << feedgraph::chrome_trace_json({twin, graph});  // open in ui.perfetto.dev
//   std::ofstream("report.svg") << feedgraph::timeline_svg({twin, graph});       // open in a browser
//
// Lanes appear in pipeline order: the node workers (read/0, read/1, transform/0, ..., pin/0), then the
// streams (copy stream, compute stream).
#include <string>
#include <vector>

#include "feedgraph/stats.hpp"

namespace feedgraph {

/// Chrome trace-event JSON, object form: {"traceEvents": [...], "displayTimeUnit": "ms"}.
/// One process per run (pid = run index + 1, named "<graph> (<variant>)"), one thread per lane, one
/// complete event per TimelineSpan (ts and dur in microseconds on the run clock, args.batch = the ticket),
/// and a counter per node after the first: the batches queued in front of it (finished the previous node,
/// not yet started this one), emitted at each change. Throws nothing.
std::string chrome_trace_json(const std::vector<RunStats>& runs);

/// One SVG (no scripts, no external references) with the runs stacked top to bottom on a common time
/// axis in ms: a title line per run, a lane per node worker and per stream, a rect per span coloured by
/// node with a tooltip ("read batch 5: 12.3 ms ..."). Empty stretches of the compute stream lane are the
/// GPU's idle gaps. Throws nothing.
std::string timeline_svg(const std::vector<RunStats>& runs);

}  // namespace feedgraph
