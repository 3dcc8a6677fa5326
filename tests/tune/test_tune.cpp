// feedgraph tune on the host backend: trials stay inside the memory budget and max_trials, a run can
// be limited to a trial's length, `auto` is parsed, refused unresolved and resolved, and --json has its shape.
// No assertion here depends on how fast this machine is.
#include <doctest/doctest.h>

#include <map>
#include <string>

#include "../graph/graph_test_util.hpp"
#include "cli/tune_report.hpp"
#include "feedgraph/tools/tune.hpp"

using namespace feedgraph;

namespace {

/// 512 samples of 3x8x8 float32 in batches of 8, whose reads wait 100 µs per sample on "storage": read is the
/// slow node, so a tune has a reason to raise it.
std::string tune_graph(const std::string& extra = "") {
  return "name: small\n"
         "device: host\n"
         "batch_size: 8\n"
         "dataset: {source: synthetic, samples: 512, sample: {shape: [3, 8, 8], dtype: float32}, cost: {io_us: 100}}\n"
         "transforms: [{normalize: {mean: 0.5, std: 0.25}}]\n"
         "compute: {kernel: checksum}\n"
         "watchdog_s: 20\n" + extra;
}

/// Short trials, so that a whole tune takes a fraction of a second.
TuneOptions quick(int max_trials = 5) {
  TuneOptions o;
  o.max_trials = max_trials;
  o.trial_seconds = 0.05;
  o.trial_batches = 20;
  o.cores = 2;
  o.limits = {8, 4, 2, 8};
  return o;
}

}  // namespace

TEST_SUITE("tune") {

TEST_CASE("RunLimit: a run stops issuing batches at max_batches / and reports exactly those") {
  const auto spec = parse_pipeline(fgtest::small_graph(256, 8, 2), "<test>");
  fgtest::Deliveries d;
  Pipeline pipeline(spec);
  RunSettings limited = pipeline.settings();
  limited.limit.max_batches = 5;
  const RunStats s = pipeline.run(limited, d.options());
  CHECK(s.batches == 5);
  CHECK(s.samples == 40);
  REQUIRE(d.records.size() == 5);
  for (std::size_t i = 0; i < 5; ++i) CHECK(d.records[i].ticket == static_cast<std::int64_t>(i));
}

TEST_CASE("RunLimit: past max_seconds a run still issues min_batches") {
  const auto spec = parse_pipeline(fgtest::small_graph(256, 8, 2), "<test>");
  Pipeline pipeline(spec);
  RunSettings limited = pipeline.settings();
  limited.limit.max_seconds = 1e-9;
  limited.limit.min_batches = 3;
  const RunStats s = pipeline.run(limited);
  CHECK(s.batches == 3);
  CHECK(s.samples == 24);
}

TEST_CASE("RunLimit: a pulling run refuses it") {
  auto pipeline = Pipeline::from_yaml(fgtest::small_graph(64, 8, 1));
  RunSettings limited = pipeline.settings();
  limited.limit.max_batches = 2;
  pipeline.set_settings(limited);
  CHECK_THROWS_WITH_AS(pipeline.batches(nullptr), doctest::Contains("RunSettings::limit"), Error);
}

TEST_CASE("tune: every trial's plan fits a tight budget / and is the plan of the settings it ran") {
  Pipeline pipeline(parse_pipeline(tune_graph(), "<test>"));
  auto plan_of = [&](const TuneSettings& s) { return pipeline.plan(with_settings(pipeline.settings(), s)); };
  // Room for 3 host buffers and 2 pinned slots: the model will ask for more, and must be held to this.
  const std::uint64_t budget = plan_of({1, 1, 1, 3}).memory.total();
  CHECK(budget < plan_of({1, 1, 1, 4}).memory.total());
  TuneOptions o = quick(6);
  o.memory_budget = budget;
  const TuneResult r = tune(pipeline, o);
  REQUIRE(!r.trials.empty());
  CHECK(r.memory_budget == budget);
  for (const auto& t : r.trials) {
    INFO("trial " << t.index << ": " << t.settings.text());
    CHECK(t.memory.total() <= budget);
    CHECK(t.memory.total() == plan_of(t.settings).memory.total());
    CHECK(t.settings.prefetch <= 3);
  }
  CHECK(pipeline.plan(r.best).memory.total() <= budget);
}

TEST_CASE("tune: a budget the smallest setting does not fit fails before any run / naming the budget") {
  const auto spec = parse_pipeline(tune_graph(), "<test>");
  TuneOptions o = quick();
  o.memory_budget = plan(serial_twin(spec)).memory.total() - 1;
  int trials = 0;
  CHECK_THROWS_WITH_AS(tune(spec, o, [&](const TuneTrial&) { ++trials; }), doctest::Contains("over the memory budget"),
                       Error);
  CHECK(trials == 0);
}

TEST_CASE("tune: max_trials is respected / the first trial runs every key at 1 / and the best is a trial") {
  const auto spec = parse_pipeline(tune_graph("concurrency: {read: 4, transform: 2, pin: 2}\nprefetch: 4\n"), "<test>");
  std::vector<int> seen;
  const TuneResult r = tune(spec, quick(2), [&](const TuneTrial& t) { seen.push_back(t.index); });
  CHECK(r.trials.size() == 2);
  CHECK(seen == std::vector<int>{1, 2});
  CHECK(r.stopped == "max trials (2)");
  CHECK(r.trials[0].settings == TuneSettings{1, 1, 1, 1});
  CHECK(r.keys == std::vector<std::string>{"concurrency.read", "concurrency.transform", "concurrency.pin", "prefetch"});
  CHECK(r.spec_settings == TuneSettings{4, 2, 2, 4});
  REQUIRE(r.best_trial >= 1);
  CHECK(r.trials[static_cast<std::size_t>(r.best_trial - 1)].settings == r.best_settings);
  CHECK(settings_of(r.best) == r.best_settings);
  CHECK(r.profile.read_s > 0);
  CHECK(r.profile.samples_per_batch == doctest::Approx(8.0));
}

TEST_CASE("tune: a setting runs again only to confirm the best two / and the best is its mean") {
  const auto spec = parse_pipeline(tune_graph(), "<test>");
  const TuneResult r = tune(spec, quick(12));
  REQUIRE(r.trials.size() <= 12);
  std::map<std::string, std::vector<double>> runs;
  for (const auto& t : r.trials) runs[t.settings.text()].push_back(t.measured_samples_per_s);
  for (std::size_t i = 0; i < r.trials.size(); ++i) {
    const auto& t = r.trials[i];
    INFO("trial " << t.index << ": " << t.settings.text());
    CHECK(runs[t.settings.text()].size() <= 2);
    // A second run of a setting is one of the last two trials, and says why.
    if (runs[t.settings.text()].size() == 2 && t.why.starts_with("again")) CHECK(i + 2 >= r.trials.size());
  }
  const auto& best = runs[r.best_settings.text()];
  double mean = 0;
  for (double x : best) mean += x / static_cast<double>(best.size());
  CHECK(r.best_samples_per_s == doctest::Approx(mean));
  for (const auto& [settings, measured] : runs) {
    double m = 0;
    for (double x : measured) m += x / static_cast<double>(measured.size());
    CHECK(m <= r.best_samples_per_s * (1 + 1e-12));
  }
}

TEST_CASE("tune: keys that do not apply are not searched (no transforms / no pin node)") {
  const auto spec = parse_pipeline(
      "name: bare\ndevice: host\nbatch_size: 8\ndataset: {source: synthetic, samples: 128, sample: {shape: [16], "
      "dtype: uint8}}\ntransfer: {pinned: true, direct: true}\nconcurrency: {read: 2, transform: 3, pin: 4}\n",
      "<test>");
  const TuneResult r = tune(spec, quick(3));
  CHECK(r.keys == std::vector<std::string>{"concurrency.read", "prefetch"});
  for (const auto& t : r.trials) {
    CHECK(t.settings.transform == 3);
    CHECK(t.settings.pin == 4);
  }
}

TEST_CASE("auto: parsed for concurrency and prefetch / listed / and named when it is no count") {
  const auto spec = parse_pipeline(
      fgtest::small_graph(64, 8, 1, "concurrency: {read: auto, transform: 2, pin: auto}\nprefetch: auto\n"), "<test>");
  CHECK(spec.concurrency.read == kAuto);
  CHECK(spec.concurrency.transform == 2);
  CHECK(spec.prefetch == kAuto);
  CHECK(spec.auto_keys() == std::vector<std::string>{"concurrency.read", "concurrency.pin", "prefetch"});
  CHECK(serial_twin(spec).auto_keys().empty());
  CHECK_THROWS_WITH_AS(parse_pipeline(fgtest::small_graph(64, 8, 1, "prefetch: fast\n"), "<test>"),
                       "<test>:9:11: prefetch: expected a count (an integer >= 1) or `auto`, got 'fast'", ConfigError);
  CHECK_THROWS_WITH_AS(parse_pipeline(fgtest::small_graph(64, 8, 1), "<test>", {"concurrency.read=0"}),
                       doctest::Contains("must be >= 1"), ConfigError);
}

TEST_CASE("auto: plan() and run() refuse it unresolved / naming the keys") {
  const auto spec = parse_pipeline(fgtest::small_graph(64, 8, 1, "prefetch: auto\n"), "<test>", {"concurrency.pin=auto"});
  CHECK_THROWS_WITH_AS(plan(spec), doctest::Contains("concurrency.pin, prefetch: `auto` is chosen by a short tune"),
                       Error);
  CHECK_THROWS_AS(run(spec), Error);
}

TEST_CASE("auto: resolve_auto tunes the auto keys alone and says what it chose") {
  const auto spec = parse_pipeline(tune_graph("concurrency: {read: auto, transform: 2, pin: 1}\nprefetch: auto\n"), "<test>");
  Pipeline pipeline(spec, {.tune_auto = false});
  CHECK_THROWS_WITH_AS(pipeline.plan(), doctest::Contains("concurrency.read, prefetch: `auto`"), Error);
  const AutoResolution r = resolve_auto(pipeline, quick(4));
  CHECK(r.settings.auto_keys().empty());
  CHECK(r.settings == pipeline.settings());
  CHECK(r.settings.concurrency.transform == 2);
  CHECK(r.settings.concurrency.pin == 1);
  CHECK(r.settings.concurrency.read >= 1);
  CHECK(r.settings.concurrency.read <= 8);
  CHECK(r.settings.prefetch >= 1);
  CHECK(r.settings.prefetch <= 8);
  const std::string expected = "auto: concurrency.read " + std::to_string(r.settings.concurrency.read) + ", prefetch " +
                               std::to_string(r.settings.prefetch) + " (tuned in ";
  CHECK(r.line.starts_with(expected));
  CHECK(pipeline.plan().settings == r.settings);
  Pipeline plain(parse_pipeline(tune_graph(), "<test>"));
  CHECK(resolve_auto(plain).line.empty());
}

TEST_CASE("auto: a Pipeline resolves it at start-up / logs the line / and runs every batch") {
  auto pipeline = Pipeline::from_yaml(fgtest::small_graph(128, 8, 1, "concurrency: {read: auto}\nprefetch: auto\n"));
  CHECK(pipeline.settings().auto_keys().empty());
  CHECK(pipeline.tuning().starts_with("auto: concurrency.read "));
  CHECK(pipeline.tuning().find(", prefetch ") != std::string::npos);
  const RunStats s = pipeline.run();
  CHECK(s.batches == 16);
  CHECK(s.samples == 128);
}

TEST_CASE("tune --json: trials with settings / predicted and measured samples/s / limits and memory / the best") {
  const auto spec = parse_pipeline(tune_graph(), "<test>");
  const TuneResult r = tune(spec, quick(3));
  const auto j = cli::tune_json(r, "graphs/x.yaml");
  CHECK(j["feedgraph"] == version());
  CHECK(j["device"]["backend"] == "host");
  CHECK(j["graph"] == "small");
  CHECK(j["file"] == "graphs/x.yaml");
  CHECK(j["cores"] == 2);
  CHECK(j["memory_budget"].is_null());
  CHECK(j["limits"]["read"] == 8);
  CHECK(j["limits"]["prefetch"] == 8);
  CHECK(j["profile"]["read_s"].get<double>() == doctest::Approx(r.profile.read_s));
  CHECK(j["spec_settings"]["read"] == 4);
  REQUIRE(j["trials"].size() == r.trials.size());
  for (std::size_t i = 0; i < r.trials.size(); ++i) {
    const auto& t = j["trials"][i];
    CHECK(t["index"] == static_cast<int>(i) + 1);
    CHECK(t["settings"]["read"] == r.trials[i].settings.read);
    CHECK(t["settings"]["prefetch"] == r.trials[i].settings.prefetch);
    CHECK(t["measured_samples_per_s"].get<double>() == doctest::Approx(r.trials[i].measured_samples_per_s));
    CHECK(t["memory"]["total_bytes"] == r.trials[i].memory.total());
    CHECK(t["measured_limit"].is_string());
    CHECK(t["why"].is_string());
  }
  CHECK(j["trials"][0]["predicted_samples_per_s"].get<double>() > 0);
  CHECK(j["best"]["trial"] == r.best_trial);
  CHECK(j["best"]["settings"]["read"] == r.best_settings.read);
  CHECK(j["stopped"] == r.stopped);
}

TEST_CASE("tune --write: the written file loads with the tuned values and everything else unchanged") {
  const std::string original = "# a hand-written pipeline\n" +
                               tune_graph("concurrency: {read: 4, transform: 4, pin: 2}  # set by hand\n"
                                          "prefetch: 4\nmemory_budget: 64MiB\n");
  const auto spec = parse_pipeline(original, "x.yaml");
  const TuneResult r = tune(spec, quick(4));
  const std::string text = tuned_yaml(original, "x.yaml", r.best_settings, r.keys, "# tuned by feedgraph tune on test");
  CHECK(text.starts_with("# tuned by feedgraph tune on test\n# a hand-written pipeline\n"));
  CHECK(text.find("# set by hand") != std::string::npos);
  const auto written = parse_pipeline(text, "written.yaml");
  CHECK(settings_of(RunSettings::of(written)) == r.best_settings);
  CHECK(written.name == spec.name);
  CHECK(written.batch_size == spec.batch_size);
  CHECK(written.epochs == spec.epochs);
  CHECK(written.dataset.name == spec.dataset.name);
  CHECK(written.transforms.size() == spec.transforms.size());
  CHECK(written.compute.name == spec.compute.name);
  CHECK(written.memory_budget == spec.memory_budget);
  CHECK(written.watchdog_s == spec.watchdog_s);
  CHECK(written.device.text() == spec.device.text());
  CHECK(plan(written).memory.total() == Pipeline(spec).plan(r.best).memory.total());
  // Tuned again: the comment is replaced, not stacked.
  const std::string again = tuned_yaml(text, "x.yaml", r.best_settings, r.keys, "# tuned by feedgraph tune again");
  CHECK(again.starts_with("# tuned by feedgraph tune again\n# a hand-written pipeline\n"));
}

}  // TEST_SUITE
