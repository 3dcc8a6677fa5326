#pragma once
// The tune's model and its search steps, apart from any run so that tests can pin them down with made-up
// service times (feedgraph/tune.hpp says what the model is).
#include <optional>
#include <string>
#include <vector>

#include "feedgraph/tools/tune.hpp"

namespace feedgraph::detail {

/// One of the model's bounds on batches/s.
struct Bound {
  std::string name;  ///< read | transform | pin | prefetch | pinned slots | device buffers | copy | compute | cores | threads
  double batches_per_s = 0;
  /// A GPU stream's bound (copy, compute): timed by the stream's own events, so exact, where the others
  /// come from busy and CPU times that contention inflates.
  bool stream = false;
};

/// Every bound that binds at all (its time is above 0), in a fixed order: the keys first, then the pools,
/// the streams, cores and threads.
std::vector<Bound> bounds(const ServiceProfile& profile, const TuneSettings& settings, int cores);

/// One key's range in a search: [lo, hi], or fixed at lo == hi.
struct KeyRange {
  int lo = 1;
  int hi = 1;
  bool searched() const { return hi > lo; }
};

struct SearchSpace {
  KeyRange read, transform, pin, prefetch;
  const KeyRange& range(const std::string& key) const;
  /// The corner of the space: every key at its upper end.
  TuneSettings top() const { return {read.hi, transform.hi, pin.hi, prefetch.hi}; }
  TuneSettings bottom() const { return {read.lo, transform.lo, pin.lo, prefetch.lo}; }
  bool contains(const TuneSettings& s) const;
};

/// The fewest workers and host buffers, within `space`, that reach the model's best there (the best is at
/// the top corner, since no bound falls when a key rises). Each key takes the least value whose bounds are no
/// lower than that best; prefetch one more than Little's law asks, since a batch's host buffer is given back
/// only after its pin, while the next read is already waiting for it.
TuneSettings cheapest_best(const ServiceProfile& profile, const SearchSpace& space, int cores);

/// The next setting to try after a measured trial, and why; nullopt (and `stop` filled in) when nothing the
/// space holds can move what limits it.
struct Step {
  TuneSettings settings;
  std::string why;
};
struct StepInput {
  const ServiceProfile& measured;  ///< profile_of the trial: its own busy times, streams and CPU per batch
  const TuneSettings& settings;    ///< the trial's
  double measured_batches_per_s = 0;
  const SearchSpace& space;
  int cores = 1;
};
/// Candidates in order of preference: raise the limiting key to where the next bound binds (at most double
/// it), with prefetch following when it would bind next; then the same key by one.
std::vector<Step> next_steps(const StepInput& in, std::string& stop);

}  // namespace feedgraph::detail
