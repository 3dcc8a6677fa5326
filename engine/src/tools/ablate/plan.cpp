// ablation_plan: the serial twin, the five input-pipeline techniques of PyTorch's DataLoader guides added one at a time, then each removed from the
// full graph (feedgraph/ablate.hpp).
#include <array>
#include <filesystem>
#include <functional>

#include "feedgraph/tools/ablate.hpp"

namespace feedgraph {
namespace {

/// One of the five input-pipeline techniques of PyTorch's DataLoader guides: how to read it off the full graph and how to set it on a variant.
struct Technique {
  const char* id;     ///< AblationStep::technique
  const char* name;   ///< in labels
  const char* claim;  ///< the speedup PyTorch's guides claim for it
  std::function<bool(const RunSettings&)> is_on;
  /// Give `spec` the full graph's setting (`on`) or the serial twin's (`!on`).
  std::function<void(RunSettings& settings, const RunSettings& full, bool on)> set;
};

/// In the order PyTorch's guides list them, which is the order they are added in.
const std::array<Technique, 5>& techniques() {
  static const std::array<Technique, 5> list{{
      {"pinned", "pinned", "1.5-2x", [](const RunSettings& s) { return s.transfer.pinned; },
       [](RunSettings& s, const RunSettings& full, bool on) {
         // Everything in `transfer` but the other two switches belongs to pinning (how the slots are filled,
         // e.g. `direct`), so it comes from the full graph or the twin whole, and the last cumulative row
         // is the full graph even for settings added after this was written. Slots need no care: buffers
         // are the full graph's, and derived slots follow the row's own pin concurrency.
         const TransferSpec other = s.transfer;
         s.transfer = on ? full.transfer : full.serial().transfer;
         s.transfer.non_blocking = other.non_blocking;
         s.transfer.copy_stream = other.copy_stream;
       }},
      {"non_blocking", "non_blocking", "1.2-1.5x", [](const RunSettings& s) { return s.transfer.non_blocking; },
       [](RunSettings& s, const RunSettings& full, bool on) {
         s.transfer.non_blocking = on && full.transfer.non_blocking;
       }},
      // PyTorch's num_workers parallelizes loading, transforms and pinning at once; here those are three nodes.
      {"workers", "workers", "2-4x",
       [](const RunSettings& s) {
         return s.concurrency.read > 1 || s.concurrency.transform > 1 || s.concurrency.pin > 1;
       },
       [](RunSettings& s, const RunSettings& full, bool on) {
         s.concurrency = on ? full.concurrency : ConcurrencySpec{.read = 1, .transform = 1, .pin = 1};
       }},
      {"prefetch", "prefetch", "1.1-1.3x", [](const RunSettings& s) { return s.prefetch > 1; },
       [](RunSettings& s, const RunSettings& full, bool on) { s.prefetch = on ? full.prefetch : 1; }},
      {"copy_stream", "copy stream", "1.2x", [](const RunSettings& s) { return s.transfer.copy_stream; },
       [](RunSettings& s, const RunSettings& full, bool on) {
         s.transfer.copy_stream = on && full.transfer.copy_stream;
       }},
  }};
  return list;
}

/// The file's name without its folders, so that labels stay short; the graph's name for text specs.
std::string source_name(const PipelineSpec& full) {
  if (full.origin.empty()) return full.name;
  const auto name = std::filesystem::path(full.origin).filename().string();
  return name.empty() ? full.origin : name;
}

}  // namespace

const char* to_string(AblationStep::Kind kind) noexcept {
  switch (kind) {
    case AblationStep::Kind::baseline: return "baseline";
    case AblationStep::Kind::add: return "add";
    case AblationStep::Kind::remove: return "remove";
    case AblationStep::Kind::full: return "full";
  }
  return "?";
}

std::vector<AblationStep> ablation_plan(const PipelineSpec& spec) { return ablation_plan(spec, RunSettings::of(spec)); }

std::vector<AblationStep> ablation_plan(const PipelineSpec& spec, const RunSettings& full) {
  const auto& list = techniques();
  const std::string off_note = " (already off in " + source_name(spec) + ")";
  std::vector<AblationStep> plan;
  plan.reserve(1 + 2 * list.size());

  const RunSettings twin = full.serial();
  plan.push_back({.label = "serial twin", .technique = "", .kind = AblationStep::Kind::baseline, .settings = twin,
                  .claim = "", .already_off = false});

  // Only the twin uses serial_twin's single device buffer: the seed's techniques say nothing about device
  // buffers, so every other row keeps the full graph's, and removing a technique changes that technique alone.
  RunSettings cumulative = twin;
  cumulative.buffers = full.buffers;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const Technique& t = list[i];
    t.set(cumulative, full, true);
    const bool last = i + 1 == list.size();
    const bool off = !t.is_on(full);
    plan.push_back({.label = std::string("+ ") + t.name + (off ? off_note : "") + (last ? " = full graph" : ""),
                    .technique = t.id,
                    .kind = last ? AblationStep::Kind::full : AblationStep::Kind::add,
                    .settings = cumulative,
                    .claim = t.claim,
                    .already_off = off});
  }

  for (const Technique& t : list) {
    RunSettings without = full;
    t.set(without, full, false);
    const bool off = !t.is_on(full);
    plan.push_back({.label = std::string("full − ") + t.name + (off ? off_note : ""),
                    .technique = t.id,
                    .kind = AblationStep::Kind::remove,
                    .settings = std::move(without),
                    .claim = t.claim,
                    .already_off = off});
  }
  return plan;
}

}  // namespace feedgraph
