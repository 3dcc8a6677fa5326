// `auto` in a pipeline file: a short tune of those keys alone at start-up (feedgraph/tune.hpp: resolve_auto).
#include <fmt/format.h>

#include "feedgraph/pipeline.hpp"
#include "feedgraph/tools/tune.hpp"

namespace feedgraph {

TuneOptions auto_tune_options() {
  TuneOptions o;
  // A start-up cost, so short: six trials of 0.3 s find the knee of a small graph; a slow one stops at 10 s.
  o.max_trials = 6;
  o.trial_seconds = 0.3;
  o.max_seconds = 10;
  o.try_spec_settings = false;
  return o;
}

AutoResolution resolve_auto(Pipeline& pipeline, const TuneOptions& options) {
  const RunSettings given = pipeline.settings();
  if (given.auto_keys().empty()) return {given, ""};
  TuneOptions o = options;
  o.keys = {given.concurrency.read == kAuto, given.concurrency.transform == kAuto, given.concurrency.pin == kAuto,
            given.prefetch == kAuto};
  o.try_spec_settings = false;
  const TuneResult r = tune(pipeline, o);

  // Only the `auto` keys change: the tune ran every other key at the file's value.
  RunSettings out = given;
  std::string chosen;
  auto take = [&](const char* key, int& value, int tuned) {
    if (value != kAuto) return;
    value = tuned;
    chosen += fmt::format("{}{} {}", chosen.empty() ? "" : ", ", key, tuned);
  };
  take("concurrency.read", out.concurrency.read, r.best_settings.read);
  take("concurrency.transform", out.concurrency.transform, r.best_settings.transform);
  take("concurrency.pin", out.concurrency.pin, r.best_settings.pin);
  take("prefetch", out.prefetch, r.best_settings.prefetch);
  pipeline.set_settings(out);
  return {out, fmt::format("auto: {} (tuned in {} trial{}, {:.1f} s: {:.0f} samples/s measured)", chosen,
                           r.trials.size(), r.trials.size() == 1 ? "" : "s", r.seconds, r.best_samples_per_s)};
}

}  // namespace feedgraph
