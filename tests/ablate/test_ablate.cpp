// feedgraph ablate: the plan adds the five input-pipeline techniques of PyTorch's DataLoader guides one at a time in its order and
// removes each from the full graph, and ablate() measures every row the same way.
#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "../graph/graph_test_util.hpp"
#include "tools/ablate/schedule.hpp"
#include "feedgraph/tools/ablate.hpp"

using namespace feedgraph;

namespace {

/// The five techniques, in the order PyTorch's guides list them, as the plan names them.
const std::array<std::string, 5> kTechniques{"pinned", "non_blocking", "workers", "prefetch", "copy_stream"};

/// Which of the five techniques settings have on, in kTechniques order.
std::array<bool, 5> techniques_on(const RunSettings& s) {
  return {s.transfer.pinned, s.transfer.non_blocking,
          s.concurrency.read > 1 || s.concurrency.transform > 1 || s.concurrency.pin > 1, s.prefetch > 1,
          s.transfer.copy_stream};
}
std::array<bool, 5> techniques_on(const PipelineSpec& s) { return techniques_on(RunSettings::of(s)); }

int count_differences(const std::array<bool, 5>& a, const std::array<bool, 5>& b) {
  int n = 0;
  for (std::size_t i = 0; i < a.size(); ++i) n += a[i] != b[i];
  return n;
}

/// The pools the settings give on the test graph (no cache, so only the settings decide).
GraphShape shape(const RunSettings& s) { return GraphShape::of(PipelineSpec{}, s); }

/// Every field the ablation sets, compared one by one so that a failure names the field.
void check_same_ablated_fields(const RunSettings& a, const RunSettings& b) {
  CHECK(a.concurrency.read == b.concurrency.read);
  CHECK(a.concurrency.transform == b.concurrency.transform);
  CHECK(a.concurrency.pin == b.concurrency.pin);
  CHECK(a.prefetch == b.prefetch);
  CHECK(a.transfer.pinned == b.transfer.pinned);
  CHECK(a.transfer.non_blocking == b.transfer.non_blocking);
  CHECK(a.transfer.copy_stream == b.transfer.copy_stream);
  CHECK(a.buffers.pinned == b.buffers.pinned);
  CHECK(a.buffers.device == b.buffers.device);
  CHECK(shape(a).pinned_slots == shape(b).pinned_slots);
  CHECK(shape(a).device_buffers == shape(b).device_buffers);
}
void check_same_ablated_fields(const RunSettings& a, const PipelineSpec& b) { check_same_ablated_fields(a, RunSettings::of(b)); }

/// Settings the ablation must never touch (the graph itself is one Pipeline, built once, for every row).
void check_same_graph(const RunSettings& a, const PipelineSpec& full) {
  CHECK(a.threads == full.threads);
  CHECK(a.memory_budget == full.memory_budget);
  CHECK(a.epochs == 0);
  CHECK_FALSE(a.limit.active());
}

/// Everything on, with values that differ from both the defaults and the twin's, so a row that copied the
/// wrong source shows.
PipelineSpec full_graph(const std::string& extra = "") {
  return parse_pipeline(fgtest::small_graph(64, 8, 1,
                                            "concurrency: {read: 3, transform: 2, pin: 2}\n"
                                            "prefetch: 5\n"
                                            "buffers: {device: 3}\n" + extra),
                        "graphs/full.yaml");
}

}  // namespace

TEST_SUITE_BEGIN("ablate");

TEST_CASE("the ablation plan is the twin then each technique added in the order PyTorch's guides list them then each removed") {
  const auto plan = ablation_plan(full_graph());
  REQUIRE(plan.size() == 11);
  const std::vector<std::string> labels{
      "serial twin",   "+ pinned",       "+ non_blocking", "+ workers",       "+ prefetch",      "+ copy stream = full graph",
      "full − pinned", "full − non_blocking", "full − workers", "full − prefetch", "full − copy stream"};
  for (std::size_t i = 0; i < plan.size(); ++i) {
    CAPTURE(i);
    CHECK(plan[i].label == labels[i]);
    CHECK_FALSE(plan[i].already_off);
  }
  CHECK(plan[0].kind == AblationStep::Kind::baseline);
  CHECK(plan[0].technique.empty());
  CHECK(plan[0].claim.empty());
  const std::array<std::string, 5> claims{"1.5-2x", "1.2-1.5x", "2-4x", "1.1-1.3x", "1.2x"};
  for (std::size_t t = 0; t < 5; ++t) {
    CAPTURE(t);
    const auto& add = plan[1 + t];
    const auto& remove = plan[6 + t];
    CHECK(add.kind == (t == 4 ? AblationStep::Kind::full : AblationStep::Kind::add));
    CHECK(remove.kind == AblationStep::Kind::remove);
    CHECK(add.technique == kTechniques[t]);
    CHECK(remove.technique == kTechniques[t]);
    CHECK(add.claim == claims[t]);
    CHECK(remove.claim == claims[t]);
  }
  CHECK(std::string(to_string(AblationStep::Kind::full)) == "full");
}

TEST_CASE("the twin row is serial_twin of the full graph") {
  const auto full = full_graph();
  const auto plan = ablation_plan(full);
  check_same_ablated_fields(plan[0].settings, RunSettings::of(full).serial());
  check_same_graph(plan[0].settings, full);
  CHECK(plan[0].settings.variant() == "serial");
}

TEST_CASE("each cumulative row turns on exactly one more technique and the last is the full graph") {
  const auto full = full_graph();
  const auto plan = ablation_plan(full);
  for (std::size_t i = 1; i <= 5; ++i) {
    CAPTURE(plan[i].label);
    const auto before = techniques_on(plan[i - 1].settings);
    const auto now = techniques_on(plan[i].settings);
    CHECK(count_differences(before, now) == 1);
    CHECK_FALSE(before[i - 1]);
    CHECK(now[i - 1]);
    // Techniques not added yet are still off; those added stay on.
    for (std::size_t t = 0; t < 5; ++t) CHECK(now[t] == (t < i));
    check_same_graph(plan[i].settings, full);
    // Device buffers are no technique of the seed's: every row but the twin keeps the full graph's.
    CHECK(shape(plan[i].settings).device_buffers == 3);
  }
  check_same_ablated_fields(plan[5].settings, full);
  // Derived pinned slots follow the row's own pin concurrency: one worker until workers are added.
  CHECK(shape(plan[1].settings).pinned_slots == 2);
  CHECK(shape(plan[3].settings).pinned_slots == full.pinned_slots());
}

TEST_CASE("an explicit buffers.pinned from the file is kept on every row but the twin") {
  const auto full = full_graph("transfer: {pinned: true}\n");
  auto with_slots = full;
  with_slots.buffers.pinned = 6;
  const auto plan = ablation_plan(with_slots);
  for (std::size_t i = 1; i < plan.size(); ++i) {
    CAPTURE(plan[i].label);
    CHECK(plan[i].settings.buffers.pinned == 6);
  }
}

TEST_CASE("the pinned rows carry the file's way of pinning with them") {
  // transfer.direct (read straight into page-locked buffers, no pin copy) is part of pinning: the last
  // cumulative row is the full graph with it, and removing pinned removes it too.
  const auto full = full_graph("transfer: {pinned: true, direct: true}\n");
  const auto plan = ablation_plan(full);
  CHECK(full.pinned_slots() == 0);
  check_same_ablated_fields(plan[5].settings, full);
  CHECK(shape(plan[1].settings).pinned_slots == 0);
  CHECK_FALSE(plan[6].settings.transfer.pinned);
  CHECK(plan[6].settings.transfer.non_blocking);
  CHECK(plan[6].settings.transfer.copy_stream);
  check_same_ablated_fields(plan[0].settings, RunSettings::of(full).serial());
}

TEST_CASE("each remove row differs from the full graph in exactly its technique") {
  const auto full = full_graph();
  const auto plan = ablation_plan(full);
  const auto all = techniques_on(full);
  for (std::size_t t = 0; t < 5; ++t) {
    const auto& row = plan[6 + t];
    CAPTURE(row.label);
    const auto on = techniques_on(row.settings);
    CHECK(count_differences(all, on) == 1);
    CHECK_FALSE(on[t]);
    check_same_graph(row.settings, full);
    CHECK(row.settings.buffers.device == full.buffers.device);
  }
  // Removing workers makes every node serial; removing prefetch leaves one batch in flight.
  CHECK(plan[8].settings.concurrency.read == 1);
  CHECK(plan[8].settings.concurrency.transform == 1);
  CHECK(plan[8].settings.concurrency.pin == 1);
  CHECK(plan[8].settings.prefetch == full.prefetch);
  CHECK(plan[9].settings.prefetch == 1);
  CHECK(plan[9].settings.concurrency.read == full.concurrency.read);
}

TEST_CASE("a technique already off in the file keeps its rows and is marked as a no-op") {
  const auto full = full_graph("transfer: {copy_stream: false}\n");
  const auto plan = ablation_plan(full);
  REQUIRE(plan.size() == 11);
  CHECK(plan[5].label == "+ copy stream (already off in full.yaml) = full graph");
  CHECK(plan[10].label == "full − copy stream (already off in full.yaml)");
  CHECK(plan[5].already_off);
  CHECK(plan[10].already_off);
  for (std::size_t i : {1u, 2u, 3u, 4u, 6u, 7u, 8u, 9u}) {
    CAPTURE(plan[i].label);
    CHECK_FALSE(plan[i].already_off);
    CHECK(plan[i].label.find("already off") == std::string::npos);
  }
  // A no-op row is its neighbour: the full graph itself, and the last cumulative row.
  check_same_ablated_fields(plan[5].settings, full);
  check_same_ablated_fields(plan[10].settings, full);
  check_same_ablated_fields(plan[4].settings, plan[5].settings);
}

TEST_CASE("the ablation schedule interleaves rounds and ends on a forward round") {
  CHECK(detail::ablation_schedule(3, 3) == std::vector<int>{0, 1, 2, 2, 1, 0, 0, 1, 2});
  CHECK(detail::ablation_schedule(3, 4) == std::vector<int>{2, 1, 0, 0, 1, 2, 2, 1, 0, 0, 1, 2});
}

TEST_CASE("ablate runs every row three times on a small host graph") {
  const auto full = parse_pipeline(fgtest::small_graph(64, 8, 1, "concurrency: {read: 2, transform: 2, pin: 1}\n"),
                                   "small.yaml");
  std::vector<std::string> finished;
  int runs_seen = 0;
  const auto rows = ablate(
      full, 3, [&](const AblationRow& row) { finished.push_back(row.step.label); },
      [&](const AblationStep&, int index, int runs, const RunStats&) {
        CHECK(index == runs_seen++);
        CHECK(runs == 33);
      });
  REQUIRE(rows.size() == 11);
  CHECK(runs_seen == 33);
  const auto plan = ablation_plan(full);
  REQUIRE(finished.size() == 11);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& row = rows[i];
    CAPTURE(row.step.label);
    CHECK(finished[i] == plan[i].label);  // reported in plan order
    REQUIRE(row.samples_per_s.size() == 3);
    CHECK(row.min <= row.median);
    CHECK(row.median <= row.max);
    CHECK(row.min > 0);
    CHECK(std::isfinite(row.step_speedup));
    CHECK(row.step_speedup > 0);
    CHECK(row.cumulative_speedup == doctest::Approx(row.median / rows[0].median));
    CHECK(row.last.samples == 64);
  }
  CHECK(rows[0].cumulative_speedup == 1.0);
  CHECK(rows[0].step_speedup == 1.0);
  CHECK(rows[2].step_speedup == doctest::Approx(rows[2].median / rows[1].median));
  CHECK(rows[7].step_speedup == doctest::Approx(rows[5].median / rows[7].median));
  CHECK(rows[0].last.variant == "serial");
}

TEST_CASE("ablate refuses fewer than three repetitions before running anything") {
  const auto full = parse_pipeline(fgtest::small_graph(16, 4, 1), "small.yaml");
  int runs = 0;
  CHECK_THROWS_AS(ablate(full, 2, {}, [&](const AblationStep&, int, int, const RunStats&) { ++runs; }), Error);
  CHECK(runs == 0);
}

TEST_SUITE_END();
