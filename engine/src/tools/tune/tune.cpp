// The tune's search (feedgraph/tune.hpp): measure the service times, propose from the model, then follow the
// measured limit, every candidate planned against the memory budget before it runs.
#include "feedgraph/tools/tune.hpp"

#include <algorithm>
#include <chrono>
#include <deque>
#include <optional>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "feedgraph/errors.hpp"
#include "feedgraph/pipeline.hpp"
#include "tools/tune/model.hpp"

namespace feedgraph {
namespace {

using Clock = std::chrono::steady_clock;

/// A trial has to beat the best by this much to count as progress: short runs on a shared machine differ by
/// a few percent from noise alone, and a search that chased noise would walk on until max_trials.
constexpr double kProgress = 1.05;
/// Trials in a row without progress before the search ends.
constexpr int kPatience = 2;

/// Limits left 0 are derived from the cores, and never below the spec's own value: its setting stays in the
/// space, so that trial 3 can measure it.
TuneLimits derived_limits(const TuneLimits& given, int cores, const TuneSettings& spec) {
  const int workers = std::max(8, 2 * cores);
  auto pick = [](int limit, int derived, int own) { return limit > 0 ? limit : std::max(derived, own); };
  return {pick(given.read, workers, spec.read), pick(given.transform, workers, spec.transform),
          pick(given.pin, workers, spec.pin), pick(given.prefetch, 2 * workers, spec.prefetch)};
}

/// The measured limit of a trial, as next_steps() judges it: a bound no key moves wins a near tie.
std::string measured_limit(const ServiceProfile& p, const TuneSettings& s, int cores) {
  auto all = detail::bounds(p, s, cores);
  if (all.empty()) return "none";
  std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.batches_per_s < b.batches_per_s; });
  for (const auto& b : all) {
    if (b.batches_per_s > 1.1 * all.front().batches_per_s) break;
    const bool key = b.name == "read" || b.name == "transform" || b.name == "pin" || b.name == "prefetch";
    if (!key) return b.name;
  }
  return all.front().name;
}

class Search {
 public:
  Search(Pipeline& pipeline, const TuneOptions& options, const std::function<void(const TuneTrial&)>& on_trial)
      : pipeline_(pipeline), options_(options), on_trial_(on_trial), start_(Clock::now()) {
    const RunSettings& given = pipeline.settings();
    r_.graph = pipeline.spec().name;
    r_.cores = options.cores > 0 ? options.cores : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    r_.memory_budget = tune_memory_budget(given, options);
    r_.spec_settings = settings_of(given);
    r_.limits = derived_limits(options.limits, r_.cores, r_.spec_settings);
    spec_has_auto_ = !given.auto_keys().empty();

    // A key left `auto` but not searched (it does not apply here) runs at 1.
    TuneSettings fixed = r_.spec_settings;
    for (int* v : {&fixed.read, &fixed.transform, &fixed.pin, &fixed.prefetch})
      if (*v == kAuto) *v = 1;
    base_ = with_settings(given, fixed);
    base_.limit = {};
    const bool has_transform = !pipeline.spec().transforms.empty();
    const bool has_pin = GraphShape::of(pipeline.spec(), with_settings(base_, {1, 1, 1, 1})).pin_node;
    auto range = [](bool searched, int limit, int value) {
      return searched ? detail::KeyRange{1, std::max(1, limit)} : detail::KeyRange{value, value};
    };
    space_.read = range(options.keys.read, r_.limits.read, fixed.read);
    space_.transform = range(options.keys.transform && has_transform, r_.limits.transform, fixed.transform);
    space_.pin = range(options.keys.pin && has_pin, r_.limits.pin, fixed.pin);
    space_.prefetch = range(options.keys.prefetch, r_.limits.prefetch, fixed.prefetch);
    if (space_.read.searched()) r_.keys.emplace_back("concurrency.read");
    if (space_.transform.searched()) r_.keys.emplace_back("concurrency.transform");
    if (space_.pin.searched()) r_.keys.emplace_back("concurrency.pin");
    if (space_.prefetch.searched()) r_.keys.emplace_back("prefetch");
  }

  TuneResult run() {
    const TuneSettings ones = space_.bottom();
    if (!memory_of(ones)) {
      throw Error(fmt::format("tune: the smallest setting ({}) needs {}, over the memory budget {}", ones.text(),
                              format_bytes(plan_total(ones)), format_bytes(r_.memory_budget)));
    }
    trial(ones, "service times: every searched key at 1, so nothing overlaps");
    r_.model_best_samples_per_s = predict(r_.profile, space_.top(), r_.cores).samples_per_s;
    if (!spec_has_auto_) r_.spec_predicted_samples_per_s = predict(r_.profile, r_.spec_settings, r_.cores).samples_per_s;

    const Prediction best = predict(r_.profile, space_.top(), r_.cores);
    if (auto proposal = fit(detail::cheapest_best(r_.profile, space_, r_.cores)); proposal && !tried(*proposal)) {
      if (!trial(*proposal, fmt::format("model: the cheapest setting that reaches its best, {:.0f} samples/s "
                                        "(limit: {})",
                                        best.samples_per_s, best.limit)))
        return finish();
    }
    if (options_.try_spec_settings && !spec_has_auto_ && space_.contains(r_.spec_settings) &&
        memory_of(r_.spec_settings) && !tried(r_.spec_settings)) {
      if (!trial(r_.spec_settings, "the file's settings")) return finish();
    }

    int without_progress = 0;
    while (r_.stopped.empty()) {
      // From the best trial; when every step from it has been tried, from the next best within 10% of it: on
      // a busy machine that near a tie is noise, and the best by a hair may just have been lucky.
      const std::size_t best_index = best_trial();
      std::string reason;
      std::optional<detail::Step> chosen = step_from(best_index, reason);
      const bool all_tried = !chosen && reason.empty();
      std::vector<std::size_t> order(r_.trials.size());
      for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
      std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return r_.trials[a].measured_samples_per_s > r_.trials[b].measured_samples_per_s;
      });
      for (std::size_t i : order) {
        if (!all_tried || chosen) break;
        if (i == best_index || r_.trials[i].settings == r_.trials[best_index].settings) continue;
        if (r_.trials[i].measured_samples_per_s < 0.9 * r_.trials[best_index].measured_samples_per_s) continue;
        std::string ignored;
        chosen = step_from(i, ignored);
        if (chosen) chosen->why = fmt::format("from trial {} (within 10% of the best): {}", i + 1, chosen->why);
      }
      if (!chosen) {
        r_.stopped = !reason.empty() ? reason : "converged: every next step from the best trials was tried";
        break;
      }
      const double before = r_.trials[best_trial()].measured_samples_per_s;
      if (!trial(chosen->settings, chosen->why)) break;
      without_progress = r_.trials.back().measured_samples_per_s > kProgress * before ? 0 : without_progress + 1;
      if (without_progress >= kPatience) {
        r_.stopped = fmt::format("{} trials in a row without beating the best by {:.0f}%", kPatience,
                                 100 * (kProgress - 1));
      }
    }
    confirm();
    return finish();
  }

 private:
  RunSettings settings_for(const TuneSettings& s) const {
    RunSettings settings = with_settings(base_, s);
    settings.memory_budget = r_.memory_budget;  // the engine refuses it too, should the plan here be wrong
    return settings;
  }

  /// The plan of a setting, sized with no budget so that the figure is known either way; computed once.
  const MemoryPlan& memory_plan(const TuneSettings& s) {
    for (const auto& [settings, memory] : planned_)
      if (settings == s) return memory;
    RunSettings unbounded = with_settings(base_, s);
    unbounded.memory_budget = 0;
    planned_.emplace_back(s, pipeline_.plan(unbounded).memory);
    return planned_.back().second;
  }
  std::uint64_t plan_total(const TuneSettings& s) { return memory_plan(s).total(); }

  std::optional<MemoryPlan> memory_of(const TuneSettings& s) {
    const MemoryPlan& memory = memory_plan(s);
    if (r_.memory_budget > 0 && memory.total() > r_.memory_budget) return std::nullopt;
    return memory;
  }

  /// `s`, or the nearest setting below it that fits the budget: prefetch lowered first (host buffers are
  /// most of the memory), then pin (its slots). nullopt when even the lowest does not fit.
  std::optional<TuneSettings> fit(TuneSettings s) {
    if (r_.memory_budget == 0) return s;
    while (plan_total(s) > r_.memory_budget) {
      if (s.prefetch > space_.prefetch.lo) --s.prefetch;
      else if (s.pin > space_.pin.lo) --s.pin;
      else return std::nullopt;
    }
    return s;
  }

  bool tried(const TuneSettings& s) const {
    return std::any_of(r_.trials.begin(), r_.trials.end(), [&](const TuneTrial& t) { return t.settings == s; });
  }

  /// The next untried setting from trial `index`, fitted to the budget. None: `reason` says why (the limit no
  /// key moves, the budget), or stays empty when every step from there has been tried.
  std::optional<detail::Step> step_from(std::size_t index, std::string& reason) {
    const TuneTrial& from = r_.trials[index];
    const ServiceProfile measured = profile_of(measurements_[index]);
    std::string stop;
    const auto steps = detail::next_steps(
        {measured, from.settings, from.measured_samples_per_s / std::max(1e-12, measured.samples_per_batch), space_,
         r_.cores},
        stop);
    std::string over_budget;
    for (const auto& step : steps) {
      auto fitted = fit(step.settings);
      if (!fitted || (*fitted != step.settings && tried(*fitted))) {
        // Nothing new fits: the budget, not the search, ends it here.
        over_budget = fmt::format("memory budget: the next step ({}) needs {}, over {}", step.settings.text(),
                                  format_bytes(plan_total(step.settings)), format_bytes(r_.memory_budget));
        continue;
      }
      if (tried(*fitted)) continue;
      return detail::Step{*fitted, step.why + (*fitted == step.settings ? "" : "; prefetch lowered to the budget")};
    }
    reason = !stop.empty() ? stop : over_budget;
    return std::nullopt;
  }

  /// The mean of every trial of `s`.
  double mean_of(const TuneSettings& s) const {
    double sum = 0;
    int n = 0;
    for (const auto& t : r_.trials)
      if (t.settings == s) sum += t.measured_samples_per_s, ++n;
    return n > 0 ? sum / n : 0;
  }

  /// The first trial of the setting with the highest mean (settings are measured once, but for confirm()).
  std::size_t best_trial() const {
    std::size_t best = 0;
    for (std::size_t i = 1; i < r_.trials.size(); ++i)
      if (mean_of(r_.trials[i].settings) > mean_of(r_.trials[best].settings)) best = i;
    return best;
  }

  /// With trials to spare, the two best settings are measured once more when the runner-up is within 10% of
  /// the best: one short run on a shared machine can be that far off, and the choice then goes by the mean.
  void confirm() {
    if (static_cast<int>(r_.trials.size()) + 2 > options_.max_trials || r_.trials.size() < 2) return;
    const TuneSettings first = r_.trials[best_trial()].settings;
    const TuneTrial* second = nullptr;
    for (const auto& t : r_.trials)
      if (t.settings != first && (!second || t.measured_samples_per_s > second->measured_samples_per_s)) second = &t;
    if (!second || second->measured_samples_per_s < 0.9 * mean_of(first)) return;
    const TuneSettings runner_up = second->settings;
    const std::string stopped = std::exchange(r_.stopped, std::string());
    for (const TuneSettings& s : {first, runner_up}) {
      if (!trial(s, "again: the best two were within 10%, so the choice goes by the mean of both runs")) break;
    }
    if (r_.stopped.empty()) r_.stopped = stopped;
  }

  double elapsed() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

  /// Runs one trial unless a limit says no (then sets `stopped` and returns false).
  bool trial(const TuneSettings& s, const std::string& why) {
    if (static_cast<int>(r_.trials.size()) >= options_.max_trials) {
      r_.stopped = fmt::format("max trials ({})", options_.max_trials);
      return false;
    }
    double longest = 0;
    for (const auto& t : r_.trials) longest = std::max(longest, t.seconds);
    if (!r_.trials.empty() && elapsed() + longest > options_.max_seconds) {
      r_.stopped = fmt::format("max seconds ({:g}): another trial would end past it", options_.max_seconds);
      return false;
    }
    const auto memory = memory_of(s);
    if (!memory) throw Error("tune: internal error: a candidate over the memory budget reached a trial: " + s.text());
    const double began = elapsed();
    TrialMeasurement m = measure_trial(pipeline_, settings_for(s), options_);
    TuneTrial t;
    t.index = static_cast<int>(r_.trials.size()) + 1;
    t.settings = s;
    t.why = why;
    // The first trial is where the model's service times come from; it is predicted from them too.
    if (r_.trials.empty()) r_.profile = profile_of(m);
    const Prediction p = predict(r_.profile, s, r_.cores);
    t.predicted_samples_per_s = p.samples_per_s;
    t.predicted_limit = p.limit;
    t.measured_samples_per_s = m.samples_per_s;
    t.measured_limit = measured_limit(profile_of(m), s, r_.cores);
    t.cores_used = m.cores_used;
    t.seconds = elapsed() - began;
    t.memory = *memory;
    t.stats = m.stats;
    r_.backend = m.stats.backend;
    r_.device_name = m.stats.device_name;
    measurements_.push_back(std::move(m));
    r_.trials.push_back(std::move(t));
    if (on_trial_) on_trial_(r_.trials.back());
    return true;
  }

  TuneResult finish() {
    if (r_.stopped.empty()) r_.stopped = fmt::format("max trials ({})", options_.max_trials);
    const std::size_t best = best_trial();
    r_.best_trial = r_.trials[best].index;
    r_.best_settings = r_.trials[best].settings;
    r_.best_samples_per_s = mean_of(r_.best_settings);
    r_.best = with_settings(base_, r_.best_settings);
    r_.seconds = elapsed();
    return std::move(r_);
  }

  Pipeline& pipeline_;
  const TuneOptions& options_;
  const std::function<void(const TuneTrial&)>& on_trial_;
  Clock::time_point start_;
  TuneResult r_;
  RunSettings base_;  ///< the pipeline's settings, `auto` keys that are not searched at 1
  detail::SearchSpace space_;
  bool spec_has_auto_ = false;
  std::vector<TrialMeasurement> measurements_;  ///< one per trial
  std::deque<std::pair<TuneSettings, MemoryPlan>> planned_;  ///< plans already made; a deque keeps references
};

}  // namespace

std::uint64_t tune_memory_budget(const RunSettings& settings, const TuneOptions& options) {
  // The option can only tighten the file's budget: the tuned file is run under its own.
  const std::uint64_t own = settings.memory_budget, option = options.memory_budget;
  if (own > 0 && option > 0) return std::min(own, option);
  return own > 0 ? own : option;
}

TuneResult tune(Pipeline& pipeline, const TuneOptions& options, const std::function<void(const TuneTrial&)>& on_trial) {
  if (options.max_trials < 1) throw Error("tune: max_trials must be at least 1, got " + std::to_string(options.max_trials));
  if (!(options.trial_seconds > 0)) throw Error("tune: trial_seconds must be > 0");
  return Search(pipeline, options, on_trial).run();
}

TuneResult tune(const PipelineSpec& spec, const TuneOptions& options, const std::function<void(const TuneTrial&)>& on_trial) {
  Pipeline pipeline(spec, {.tune_auto = false});
  return tune(pipeline, options, on_trial);
}

}  // namespace feedgraph
