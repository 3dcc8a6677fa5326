// The tune's model (feedgraph/tune.hpp: predict) and its search steps (tune/model.hpp).
#include "tools/tune/model.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace feedgraph {

std::string TuneSettings::text() const {
  return fmt::format("read {}, transform {}, pin {}, prefetch {}", read, transform, pin, prefetch);
}

TuneSettings settings_of(const RunSettings& settings) {
  return {settings.concurrency.read, settings.concurrency.transform, settings.concurrency.pin, settings.prefetch};
}

RunSettings with_settings(RunSettings settings, const TuneSettings& tuned) {
  settings.concurrency.read = tuned.read;
  settings.concurrency.transform = tuned.transform;
  settings.concurrency.pin = tuned.pin;
  settings.prefetch = tuned.prefetch;
  return settings;
}

Prediction predict(const ServiceProfile& profile, const TuneSettings& settings, int cores) {
  const auto all = detail::bounds(profile, settings, cores);
  Prediction p;
  p.batches_per_s = std::numeric_limits<double>::infinity();
  p.limit = "none";
  for (const auto& b : all) {
    if (b.batches_per_s < p.batches_per_s) p.batches_per_s = b.batches_per_s, p.limit = b.name;
  }
  p.samples_per_s = p.batches_per_s * profile.samples_per_batch;
  return p;
}

namespace detail {
namespace {

/// Seconds a host buffer is held per batch: from its read's start until the pin, or without a pin node the
/// copy, is done (the engine gives it back there).
double host_buffer_hold(const ServiceProfile& p) {
  return p.read_s + p.transform_s + (p.pin_node ? p.pin_s : p.copy_s);
}

int clamp_to(const KeyRange& range, double value) {
  if (!(value < static_cast<double>(range.hi))) return range.hi;  // NaN and infinity too
  return std::max(range.lo, static_cast<int>(value));
}

/// The least count c with c / seconds >= rate; 1 when the time is 0 (that bound never binds).
double least_count(double rate, double seconds) {
  if (!(seconds > 0) || !std::isfinite(rate)) return 1;
  // A hair under the product, so that an exact multiple (2 workers for twice one worker's rate) is not
  // rounded up by floating-point noise.
  return std::max(1.0, std::ceil(rate * seconds * (1 - 1e-9)));
}

int value_of(const TuneSettings& s, const std::string& key) {
  if (key == "read") return s.read;
  if (key == "transform") return s.transform;
  if (key == "pin") return s.pin;
  return s.prefetch;
}

void set_value(TuneSettings& s, const std::string& key, int v) {
  if (key == "read") s.read = v;
  else if (key == "transform") s.transform = v;
  else if (key == "pin") s.pin = v;
  else s.prefetch = v;
}

/// The key that moves a bound, or "" for the streams, the cores, `threads` and explicit pools.
std::string key_of(const std::string& bound, const ServiceProfile& p) {
  if (bound == "read" || bound == "transform" || bound == "pin" || bound == "prefetch") return bound;
  if (bound == "pinned slots" && p.pinned_slots == 0) return "pin";  // derived: pin + 1
  return "";
}

/// With a key raised so that the graph may reach `rate`, prefetch raised too where it would bind first.
void prefetch_follows(TuneSettings& s, const StepInput& in, double rate) {
  if (!in.space.prefetch.searched()) return;
  const double need = least_count(rate, host_buffer_hold(in.measured)) + 1;
  s.prefetch = std::max(s.prefetch, clamp_to(in.space.prefetch, need));
}

}  // namespace

std::vector<Bound> bounds(const ServiceProfile& p, const TuneSettings& s, int cores) {
  std::vector<Bound> out;
  auto add = [&](const char* name, double count, double seconds, bool stream = false) {
    if (seconds > 0 && count > 0) out.push_back({name, count / seconds, stream});
  };
  add("read", s.read, p.read_s);
  add("transform", s.transform, p.transform_s);
  if (p.pin_node) add("pin", s.pin, p.pin_s);
  add("prefetch", s.prefetch, host_buffer_hold(p));
  if (p.pin_node) add("pinned slots", p.pinned_slots > 0 ? p.pinned_slots : s.pin + 1, p.pin_s + p.copy_s);
  add("device buffers", p.device_buffers, p.copy_s + p.compute_s);
  if (p.copy_stream) {
    add("copy", 1, p.copy_s, true);
    add("compute", 1, p.compute_s, true);
  } else {
    add("copy + compute", 1, p.copy_s + p.compute_s, true);  // one stream: copies queue with the kernels
  }
  add("cores", cores, p.cpu_s);
  if (p.threads > 0) add("threads", p.threads, p.read_s + p.transform_s + (p.pin_node ? p.pin_s : 0));
  return out;
}

const KeyRange& SearchSpace::range(const std::string& key) const {
  if (key == "read") return read;
  if (key == "transform") return transform;
  if (key == "pin") return pin;
  return prefetch;
}

bool SearchSpace::contains(const TuneSettings& s) const {
  auto in = [](const KeyRange& r, int v) { return v >= r.lo && v <= r.hi; };
  return in(read, s.read) && in(transform, s.transform) && in(pin, s.pin) && in(prefetch, s.prefetch);
}

TuneSettings cheapest_best(const ServiceProfile& p, const SearchSpace& space, int cores) {
  const double best = predict(p, space.top(), cores).batches_per_s;
  TuneSettings s = space.bottom();
  if (!std::isfinite(best)) return s;
  if (space.read.searched()) s.read = clamp_to(space.read, least_count(best, p.read_s));
  if (space.transform.searched()) s.transform = clamp_to(space.transform, least_count(best, p.transform_s));
  if (space.pin.searched() && p.pin_node) {
    double pin = least_count(best, p.pin_s);
    if (p.pinned_slots == 0) pin = std::max(pin, least_count(best, p.pin_s + p.copy_s) - 1);  // slots = pin + 1
    s.pin = clamp_to(space.pin, pin);
  }
  if (space.prefetch.searched()) s.prefetch = clamp_to(space.prefetch, least_count(best, host_buffer_hold(p)) + 1);
  return s;
}

std::vector<Step> next_steps(const StepInput& in, std::string& stop) {
  std::vector<Bound> all = bounds(in.measured, in.settings, in.cores);
  std::stable_sort(all.begin(), all.end(),
                   [](const Bound& a, const Bound& b) { return a.batches_per_s < b.batches_per_s; });
  if (all.empty()) {
    stop = "nothing measured bounds the graph";
    return {};
  }
  const double measured = in.measured_batches_per_s;
  auto movable = [&](const Bound& b) {
    const std::string key = key_of(b.name, in.measured);
    return !key.empty() && in.space.range(key).searched();
  };
  const Bound& lowest = all.front();
  const auto fixed = std::find_if(all.begin(), all.end(), [&](const Bound& b) { return !movable(b); });
  // A bound no key moves, within 10% of the lowest and near what was measured, is the limit: more workers
  // would only queue behind it (on a small machine the cores and a saturated node's inflated busy time
  // always come out close together, and the cores are the truth). How near: a stream's bound comes from
  // its own events and is exact, so a stream more than 10% short of it is starved, and more batches in
  // flight may feed it (seed-readme on the H100: compute measured at 81% of its bound, where stopping left
  // 12% on the table). The cores' bound is CPU time over wall time, which spinning and waking inflate: 25%.
  if (fixed != all.end() && fixed->batches_per_s <= 1.1 * lowest.batches_per_s &&
      fixed->batches_per_s <= (fixed->stream ? 1.1 : 1.25) * measured) {
    stop = fmt::format("{} limits the graph: {:.0f} batches/s measured, {:.0f} its bound; no searched key moves it",
                       fixed->name, measured, fixed->batches_per_s);
    return {};
  }

  std::vector<Step> steps;
  if (!movable(lowest)) {
    // Every bound allows more than was measured: the time goes to hand-offs and latency the model does not
    // see, which more batches in flight hide.
    const KeyRange& range = in.space.prefetch;
    if (!range.searched() || in.settings.prefetch >= range.hi) {
      stop = fmt::format("{:.0f} batches/s measured, the lowest bound ({}) allows {:.0f}; prefetch cannot rise",
                         measured, lowest.name, lowest.batches_per_s);
      return {};
    }
    std::vector<int> values{std::min(range.hi, 2 * in.settings.prefetch)};
    if (values.front() > in.settings.prefetch + 1) values.push_back(in.settings.prefetch + 1);
    for (int v : values) {
      TuneSettings s = in.settings;
      s.prefetch = v;
      steps.push_back({s, fmt::format("raise prefetch {} → {}: {:.0f} batches/s measured, below every bound "
                                      "(lowest: {}, {:.0f}); more batches in flight hide latency",
                                      in.settings.prefetch, v, measured, lowest.name, lowest.batches_per_s)});
    }
    return steps;
  }

  const std::string key = key_of(lowest.name, in.measured);
  const KeyRange& range = in.space.range(key);
  const int v = value_of(in.settings, key);
  if (v >= range.hi) {
    stop = fmt::format("{} limits the graph ({:.0f} batches/s) and is at its upper limit {}", key,
                       lowest.batches_per_s, range.hi);
    return {};
  }
  // Raise it to where the next bound would bind, at most doubling it: a step the measurement misjudged then
  // costs one trial, not a machine oversubscribed many times over.
  const auto next = std::find_if(all.begin(), all.end(), [&](const Bound& b) { return key_of(b.name, in.measured) != key; });
  const double target = std::min(next != all.end() ? next->batches_per_s : 2 * lowest.batches_per_s,
                                 2 * lowest.batches_per_s);
  const int raised = std::clamp(static_cast<int>(std::ceil(v * target / lowest.batches_per_s - 1e-9)), v + 1, range.hi);
  std::vector<int> values{raised};
  if (raised > v + 1) values.push_back(v + 1);  // the smaller step, should the larger one have been tried
  for (int to : values) {
    TuneSettings s = in.settings;
    set_value(s, key, to);
    const double reach = std::min(target, lowest.batches_per_s * to / v);
    if (key != "prefetch") prefetch_follows(s, in, reach);
    steps.push_back({s, fmt::format("raise {} {} → {}: {} bounds the graph at {:.0f} batches/s ({:.0f} measured); "
                                    "next bound {}",
                                    key, v, to, lowest.name, lowest.batches_per_s, measured,
                                    next != all.end() ? fmt::format("{}, {:.0f}", next->name, next->batches_per_s)
                                                      : std::string("none"))});
  }
  return steps;
}

}  // namespace detail
}  // namespace feedgraph
