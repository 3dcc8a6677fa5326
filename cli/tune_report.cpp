// The text and JSON of `feedgraph tune` (tune_report.hpp).
#include "cli/tune_report.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>

#include <fmt/format.h>

#include "feedgraph/pipeline.hpp"

namespace feedgraph::cli {
namespace {

std::string count(int v) { return v == kAuto ? std::string("auto") : std::to_string(v); }

std::string rate(double samples_per_s) {
  return std::isfinite(samples_per_s) && samples_per_s > 0 ? fmt::format("{:.0f}", samples_per_s) : "—";
}

std::string ms(double seconds) { return fmt::format("{:.3f} ms", seconds * 1e3); }

nlohmann::ordered_json settings_json(const TuneSettings& s) {
  auto value = [](int v) { return v == kAuto ? nlohmann::ordered_json("auto") : nlohmann::ordered_json(v); };
  return {{"read", value(s.read)}, {"transform", value(s.transform)}, {"pin", value(s.pin)},
          {"prefetch", value(s.prefetch)}};
}

nlohmann::ordered_json memory_json(const MemoryPlan& m) {
  return {{"host_bytes", m.host_bytes}, {"pinned_bytes", m.pinned_bytes}, {"device_bytes", m.device_bytes},
          {"total_bytes", m.total()}};
}

/// A figure that may be infinite or absent: null in JSON rather than a number a script would misread.
nlohmann::ordered_json number_or_null(double x) {
  return std::isfinite(x) && x > 0 ? nlohmann::ordered_json(x) : nlohmann::ordered_json(nullptr);
}

const TuneTrial* find_trial(const TuneResult& r, int index) {
  for (const auto& t : r.trials)
    if (t.index == index) return &t;
  return nullptr;
}

const TuneTrial* spec_trial(const TuneResult& r) {
  for (const auto& t : r.trials)
    if (t.settings == r.spec_settings) return &t;
  return nullptr;
}

int runs_of(const TuneResult& r, const TuneSettings& s) {
  return static_cast<int>(std::count_if(r.trials.begin(), r.trials.end(), [&](const TuneTrial& t) { return t.settings == s; }));
}

constexpr const char* kRowFormat = "{:>3}  {:>4}  {:>9}  {:>3}  {:>8}  {:>11}  {:>10}  {:<30}  {:>10}  {}\n";

}  // namespace

std::string tune_heading(const PipelineSpec& spec, const TuneOptions& options, int cores, std::uint64_t budget) {
  std::string out = fmt::format(
      "{}: tuning on {} core{}, memory budget {}; at most {} trials of {:g} s (or {} batches) each, {:g} s in all\n",
      spec.name, cores, cores == 1 ? "" : "s", budget > 0 ? format_bytes(budget) : "none", options.max_trials,
      options.trial_seconds, options.trial_batches, options.max_seconds);
  out += fmt::format(fmt::runtime(kRowFormat), "#", "read", "transform", "pin", "prefetch", "predicted/s",
                     "measured/s", "limit: model → measured", "memory", "why");
  return out;
}

std::string tune_row(const TuneTrial& t) {
  const std::string limits =
      (t.predicted_limit.empty() ? std::string("—") : t.predicted_limit) + " → " + t.measured_limit;
  return fmt::format(fmt::runtime(kRowFormat), t.index, t.settings.read, t.settings.transform, t.settings.pin,
                     t.settings.prefetch, rate(t.predicted_samples_per_s), rate(t.measured_samples_per_s), limits,
                     format_bytes(t.memory.total()), t.why);
}

std::string tune_summary(const TuneResult& r) {
  std::string out;
  auto it = std::back_inserter(out);
  const ServiceProfile& p = r.profile;
  fmt::format_to(it, "service times per batch (trial 1): read {}, transform {}, pin {}, copy {}, compute {}; CPU {} "
                     "({:.0f} samples per batch)\n",
                 ms(p.read_s), ms(p.transform_s), p.pin_node ? ms(p.pin_s) : std::string("no pin node"), ms(p.copy_s),
                 ms(p.compute_s), ms(p.cpu_s), p.samples_per_batch);
  fmt::format_to(it, "model: at most {} samples/s within the limits (read ≤ {}, transform ≤ {}, pin ≤ {}, prefetch ≤ "
                     "{})\n",
                 rate(r.model_best_samples_per_s), r.limits.read, r.limits.transform, r.limits.pin, r.limits.prefetch);
  const TuneTrial* best = find_trial(r, r.best_trial);
  if (best) {
    const TuneTrial& first = r.trials.front();
    const int runs = runs_of(r, best->settings);
    fmt::format_to(it, "best: trial {}: {} — {} samples/s measured{} ({:.2f}x trial 1), memory {}\n", best->index,
                   best->settings.text(), rate(r.best_samples_per_s),
                   runs > 1 ? fmt::format(", the mean of {} runs", runs) : std::string(),
                   first.measured_samples_per_s > 0 ? r.best_samples_per_s / first.measured_samples_per_s : 0.0,
                   format_bytes(best->memory.total()));
  }
  if (const TuneTrial* own = spec_trial(r)) {
    fmt::format_to(it, "the file's settings ({}): {} samples/s measured (trial {})\n", own->settings.text(),
                   rate(own->measured_samples_per_s), own->index);
  } else {
    fmt::format_to(it, "the file's settings (read {}, transform {}, pin {}, prefetch {}): not measured{}\n",
                   count(r.spec_settings.read), count(r.spec_settings.transform), count(r.spec_settings.pin),
                   count(r.spec_settings.prefetch),
                   r.spec_predicted_samples_per_s > 0 ? ", the model predicts " + rate(r.spec_predicted_samples_per_s)
                                                      : std::string());
  }
  fmt::format_to(it, "stopped after {} trial{} in {:.1f} s: {}\n", r.trials.size(), r.trials.size() == 1 ? "" : "s",
                 r.seconds, r.stopped);
  return out;
}

nlohmann::ordered_json tune_json(const TuneResult& r, const std::string& file) {
  nlohmann::ordered_json d;
  d["feedgraph"] = feedgraph::version();
  d["device"] = {{"backend", r.backend}, {"name", r.device_name}};
  d["graph"] = r.graph;
  d["file"] = file;
  d["keys"] = r.keys;
  d["cores"] = r.cores;
  d["memory_budget"] = r.memory_budget > 0 ? nlohmann::ordered_json(r.memory_budget) : nlohmann::ordered_json(nullptr);
  d["limits"] = settings_json({r.limits.read, r.limits.transform, r.limits.pin, r.limits.prefetch});
  const ServiceProfile& p = r.profile;
  d["profile"] = {{"read_s", p.read_s},       {"transform_s", p.transform_s}, {"pin_s", p.pin_s},
                  {"copy_s", p.copy_s},       {"compute_s", p.compute_s},     {"cpu_s", p.cpu_s},
                  {"samples_per_batch", p.samples_per_batch}, {"pin_node", p.pin_node}};
  d["model_best_samples_per_s"] = number_or_null(r.model_best_samples_per_s);
  d["spec_settings"] = settings_json(r.spec_settings);
  d["spec_predicted_samples_per_s"] = number_or_null(r.spec_predicted_samples_per_s);
  auto trials = nlohmann::ordered_json::array();
  for (const auto& t : r.trials) {
    trials.push_back({{"index", t.index},
                      {"settings", settings_json(t.settings)},
                      {"why", t.why},
                      {"predicted_samples_per_s", number_or_null(t.predicted_samples_per_s)},
                      {"predicted_limit", t.predicted_limit.empty() ? nlohmann::ordered_json(nullptr)
                                                                    : nlohmann::ordered_json(t.predicted_limit)},
                      {"measured_samples_per_s", t.measured_samples_per_s},
                      {"measured_limit", t.measured_limit},
                      {"cores_used", t.cores_used},
                      {"seconds", t.seconds},
                      {"batches", t.stats.batches},
                      {"memory", memory_json(t.memory)},
                      {"verdict", t.stats.verdict}});
  }
  d["trials"] = std::move(trials);
  d["best"] = {{"trial", r.best_trial},
               {"settings", settings_json(r.best_settings)},
               {"samples_per_s", r.best_samples_per_s},
               {"runs", runs_of(r, r.best_settings)}};
  d["stopped"] = r.stopped;
  d["seconds"] = r.seconds;
  return d;
}

std::string tune_comment(const TuneResult& r, const std::string& host, const std::string& date,
                         const std::vector<std::string>& overrides) {
  std::string text = fmt::format("# tuned by feedgraph tune on {} {}: {} → {} samples/s measured (trial {} of {}; "
                                 "trial 1, every key at 1: {}) on {}, {} cores, memory budget {}",
                                 host, date, r.best_settings.text(), rate(r.best_samples_per_s), r.best_trial,
                                 r.trials.size(), r.trials.empty() ? "—" : rate(r.trials.front().measured_samples_per_s),
                                 r.device_name.empty() ? r.backend : r.backend + " (" + r.device_name + ")", r.cores,
                                 r.memory_budget > 0 ? format_bytes(r.memory_budget) : "none");
  if (!overrides.empty()) text += fmt::format("; tuned with --set {}: pass them to run too", fmt::join(overrides, " --set "));
  return text;
}

}  // namespace feedgraph::cli
