// Checkpoint and resume: a run stopped after batch k and resumed in a fresh Pipeline (other concurrency,
// prefetch and threads) delivers, with what ran before the state, exactly what an uninterrupted run
// delivers: sample ids, labels and batch checksums; across world sizes every sample once per epoch; and a
// state that does not belong to the pipeline is refused, naming why, before anything runs.
#include <algorithm>
#include <csignal>
#include <numeric>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>
#include <tuple>

#include "../data/image_test_util.hpp"
#include "../stress/random_graph.hpp"
#include "../temp_dir.hpp"
#include "feedgraph/tools/make_dataset.hpp"

extern char** environ;

using namespace feedgraph;

namespace {

/// One delivered batch, as compared.
struct Got {
  std::int64_t epoch, index;
  std::vector<std::int64_t> ids, labels;
  std::uint64_t checksum;
  bool operator==(const Got&) const = default;
  bool operator<(const Got& o) const { return std::tie(epoch, index) < std::tie(o.epoch, o.index); }
};

std::vector<Got> run_all(Pipeline& p, const RunSettings& s) {
  std::vector<Got> out;
  RunOptions o;
  o.on_batch = [&](const BatchRecord& r) {
    out.push_back({r.epoch, r.index, {r.sample_ids.begin(), r.sample_ids.end()}, {r.labels.begin(), r.labels.end()},
                   r.host_checksum});
  };
  p.run(s, o);
  std::sort(out.begin(), out.end());
  return out;
}

/// Other settings that must not change what is delivered.
RunSettings shuffled_settings(RunSettings s, std::mt19937_64& rng) {
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  s.concurrency = {pick(1, 6), pick(1, 6), pick(1, 4)};
  s.prefetch = pick(1, 12);
  s.threads = pick(0, 6);
  return s;
}

/// Stop `yaml` after k batches, save, resume in a fresh Pipeline with other settings; the two runs together
/// must equal the uninterrupted run.
void check_stop_and_resume(const std::string& yaml, std::int64_t k, std::mt19937_64& rng) {
  CAPTURE(yaml);
  CAPTURE(k);
  Pipeline whole(parse_pipeline(yaml, "resume.yaml"));
  const std::vector<Got> expected = run_all(whole, whole.settings());

  Pipeline first(parse_pipeline(yaml, "resume.yaml"));
  RunSettings limited = first.settings();
  limited.limit.max_batches = k;
  std::vector<Got> got = run_all(first, limited);
  const PipelineState state = parse_state(state_json(first.state()), "state.json");  // through its JSON
  // Batches past the consumed prefix (an unordered run) are delivered again after the resume.
  got.erase(std::remove_if(got.begin(), got.end(),
                           [&](const Got& g) {
                             return g.epoch > state.epoch || (g.epoch == state.epoch && g.index >= state.batches);
                           }),
            got.end());

  Pipeline second(parse_pipeline(yaml, "resume.yaml"));
  if (state.epoch >= second.plan().epochs || (state.epoch == second.plan().epochs - 1 &&
                                              state.batches == second.plan().batches_per_epoch)) {
    CHECK_THROWS_WITH_AS(second.resume(state), doctest::Contains("nothing is left"), Error);
  } else {
    second.resume(state);
    const std::vector<Got> rest = run_all(second, shuffled_settings(second.settings(), rng));
    got.insert(got.end(), rest.begin(), rest.end());
  }
  std::sort(got.begin(), got.end());
  REQUIRE(got.size() == expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    CAPTURE(i);
    CHECK(got[i] == expected[i]);
  }
}

std::string images_graph(const std::string& folder, const std::string& extra = "") {
  return "name: resume-images\ndevice: host\nbatch_size: 5\nepochs: 3\nseed: 3\n"
         "dataset: {source: images, path: " + folder + ", shuffle: true, on_error: skip}\n"
         "transforms: [decode_jpeg, {random_resized_crop: {size: 24}}, random_flip]\n"
         "concurrency: {read: 2, transform: 3, pin: 1}\nprefetch: 4\ncompute: {kernel: checksum}\nverify: true\n" + extra;
}

}  // namespace

TEST_SUITE("state") {

TEST_CASE("random graphs stopped after a random batch and resumed in a fresh pipeline deliver the uninterrupted run") {
  std::mt19937_64 rng(2026);
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    const stress::RandomGraph g = stress::random_graph(seed, "host");
    const std::string yaml = g.with_shard(0);
    const std::int64_t batches = Pipeline(parse_pipeline(yaml, "r.yaml")).plan().batches;
    const auto k = std::uniform_int_distribution<std::int64_t>(1, batches)(rng);
    check_stop_and_resume(yaml, k, rng);
  }
}

TEST_CASE("cuda: random graphs with device transforms stop and resume exactly" * doctest::test_suite("gpu")) {
  std::mt19937_64 rng(2027);
  for (std::uint64_t seed = 1; seed <= 24; ++seed) {
    const stress::RandomGraph g = stress::random_graph(seed, "cuda");
    const std::string yaml = g.with_shard(0);
    const std::int64_t batches = Pipeline(parse_pipeline(yaml, "r.yaml")).plan().batches;
    check_stop_and_resume(yaml, std::uniform_int_distribution<std::int64_t>(1, batches)(rng), rng);
  }
}

TEST_CASE("random crops and flips and skipped bad files resume exactly / in every epoch") {
  fgtest::TempDir dir;
  MakeDatasetOptions o;
  o.kind = "images";
  o.samples = 37;
  o.out = dir / "images";
  o.width = 40;
  o.height = 32;
  make_dataset(o);
  // Two files that are not JPEG: skipped wherever they land, the same in both runs.
  imgtest::write_bytes(dir / "images/class-0/zz-bad.jpg", {'n', 'o', 't', ' ', 'a', ' ', 'j', 'p', 'e', 'g'});
  imgtest::write_bytes(dir / "images/class-1/zz-bad.jpg", {0xFF, 0xD8, 0xFF});
  std::mt19937_64 rng(7);
  for (std::int64_t k : {1, 4, 8, 9, 17, 23}) check_stop_and_resume(images_graph(dir / "images"), k, rng);
}

TEST_CASE("a pulling loop's state counts the batches it took / not those prefetched") {
  Pipeline p(parse_pipeline(fgtest::small_graph(64, 4, 2, "prefetch: 8\n"), "pull.yaml"));
  std::vector<std::int64_t> first_ids;
  {
    int taken = 0;
    for (DeviceBatch& b : p.batches()) {
      first_ids.insert(first_ids.end(), b.sample_ids().begin(), b.sample_ids().end());
      if (++taken == 5) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the graph prefetches meanwhile
    const PipelineState s = p.state();
    CHECK(s.epoch == 0);
    CHECK(s.batches == 5);
    CHECK(s.position == 20);
  }
  p.stop();
  Pipeline q(parse_pipeline(fgtest::small_graph(64, 4, 2, "prefetch: 2\n"), "pull.yaml"));
  q.resume(p.state());
  CHECK(q.plan().batches == 32 - 5);
  auto range = q.batches();
  auto it = range.begin();
  CHECK(it->epoch() == 0);
  CHECK(it->index() == 5);
  CHECK(it->sample_ids()[0] == 20);
}

TEST_CASE("states of 2 ranks at different positions resume on 3 ranks and on 1 with every sample once per epoch") {
  auto yaml = [](int index, int count) {
    return "name: world\ndevice: host\nbatch_size: 4\nepochs: 2\nseed: 11\n"
           "dataset: {source: synthetic, samples: 48, sample: {shape: [2], dtype: float32}, seed: 5, shuffle: true, "
           "shard: {index: " + std::to_string(index) + ", count: " + std::to_string(count) + ", uneven: pad}}\n"
           "compute: {kernel: checksum}\n";
  };
  // The old job: rank 0 consumed 2 batches, rank 1 consumed 4, then both were preempted.
  std::map<std::int64_t, std::vector<std::int64_t>> before;  // epoch -> ids consumed before the states
  std::vector<PipelineState> states;
  for (int r = 0; r < 2; ++r) {
    Pipeline p(parse_pipeline(yaml(r, 2), "world.yaml"));
    RunSettings s = p.settings();
    s.limit.max_batches = r == 0 ? 2 : 4;
    for (const Got& g : run_all(p, s)) before[g.epoch].insert(before[g.epoch].end(), g.ids.begin(), g.ids.end());
    states.push_back(parse_state(state_json(p.state())));
    CHECK(states.back().position == (r == 0 ? 8 : 16));
  }
  for (int world : {3, 1}) {
    CAPTURE(world);
    std::map<std::int64_t, std::vector<std::int64_t>> all = before;
    for (int q = 0; q < world; ++q) {
      Pipeline p(parse_pipeline(yaml(q, world), "world.yaml"));
      p.resume(states);
      CHECK(p.state().dealt.has_value());
      for (const Got& g : run_all(p, p.settings())) all[g.epoch].insert(all[g.epoch].end(), g.ids.begin(), g.ids.end());
    }
    for (auto& [epoch, ids] : all) {
      CAPTURE(epoch);
      std::sort(ids.begin(), ids.end());
      std::vector<std::int64_t> every(48);
      std::iota(every.begin(), every.end(), 0);
      CHECK(ids == every);
    }
  }
  // One rank's state alone cannot be dealt out: the other rank's consumed samples are unknown.
  Pipeline p(parse_pipeline(yaml(0, 3), "world.yaml"));
  CHECK_THROWS_WITH_AS(p.resume(std::vector<PipelineState>{states[0]}), doctest::Contains("missing rank(s) 1"), Error);
}

TEST_CASE("a state is refused / naming what differs / when the data / a transform or the pipeline changed") {
  fgtest::TempDir dir;
  MakeDatasetOptions o;
  o.kind = "records";
  o.samples = 40;
  o.out = dir / "train.rec";
  o.sample = SampleLayout{{8}, DType::f32};
  make_dataset(o);
  const std::string yaml = "name: refuse\ndevice: host\nbatch_size: 4\ndataset: {source: records, path: " + (dir / "train.rec") +
                           "}\ntransforms: [{normalize: {mean: 0.5, std: 0.25}}]\ncompute: {kernel: checksum}\n";
  Pipeline p(parse_pipeline(yaml, "r.yaml"));
  RunSettings s = p.settings();
  s.limit.max_batches = 3;
  p.run(s);
  const PipelineState state = p.state();
  CHECK(state.batches == 3);

  SUBCASE("a changed transform option") {
    std::string changed = yaml;
    changed.replace(changed.find("std: 0.25"), 9, "std: 0.5");
    Pipeline q(parse_pipeline(changed, "r.yaml"));
    CHECK_THROWS_WITH_AS(q.resume(state), doctest::Contains("transforms[0] was {normalize: {mean: 0.5, std: 0.25}}"),
                         Error);
  }
  SUBCASE("a file that changed size") {
    o.samples = 36;  // written again, shorter
    make_dataset(o);
    Pipeline q(parse_pipeline(yaml, "r.yaml"));
    CHECK_THROWS_WITH_AS(q.resume(state), doctest::Contains("train.rec was "), Error);
  }
  SUBCASE("another pipeline") {
    Pipeline q(parse_pipeline(fgtest::small_graph(40, 4, 1), "small.yaml"));
    CHECK_THROWS_WITH_AS(q.resume(state), doctest::Contains("dataset.source was records, now synthetic"), Error);
  }
  SUBCASE("a truncated or garbage state file") {
    const std::string text = state_json(state);
    CHECK_THROWS_WITH_AS(parse_state(text.substr(0, text.size() / 2), "cut.json"), doctest::Contains("cut.json: not a feedgraph state"), Error);
    CHECK_THROWS_WITH_AS(parse_state("\x7f" "ELF garbage", "bin.json"), doctest::Contains("not a feedgraph state"), Error);
    CHECK_THROWS_WITH_AS(parse_state(R"({"format": "feedgraph.state/2"})", "v2.json"), doctest::Contains("is not feedgraph.state/1"), Error);
    CHECK_THROWS_WITH_AS(load_state(dir / "missing.json"), doctest::Contains("missing.json"), Error);
  }
  SUBCASE("a state at the end of the run") {
    p.run();
    CHECK_THROWS_WITH_AS(p.resume(p.state()), doctest::Contains("nothing is left"), Error);
  }
  // Nothing ran, and the pipeline is as it was: a run starts from the top.
  CHECK(p.plan().batches == 10);
}

TEST_CASE("a folder of 1000 files: the state stays small and a changed file is named by its run of files") {
  fgtest::TempDir dir;
  MakeDatasetOptions o;
  o.kind = "images";
  o.samples = 1000;
  o.out = dir / "images";
  o.width = 8;
  o.height = 8;
  const MadeDataset made = make_dataset(o);
  const std::string yaml = images_graph(dir / "images");
  Pipeline p(parse_pipeline(yaml, "many.yaml"));
  RunSettings s = p.settings();
  s.limit.max_batches = 2;
  p.run(s);
  const PipelineState state = p.state();
  CHECK(state.fingerprint.file_count == 1000);
  CHECK(state.fingerprint.files.empty());
  CHECK(state.fingerprint.file_groups.size() == StateFingerprint::kFileGroups);
  const std::string text = state_json(state);
  CHECK(text.size() < 64 * 1024);  // against about 80 bytes a file listed one by one
  CHECK(parse_state(text, "many.json") == state);

  std::vector<std::string> in_order = made.files;  // the source's order: class folders, then files, by name
  std::sort(in_order.begin(), in_order.end());
  SUBCASE("a file grown by a byte") {
    std::ofstream(in_order[600], std::ios::binary | std::ios::app).put('\0');
    Pipeline q(parse_pipeline(yaml, "many.yaml"));
    std::string message;
    try {
      q.resume(state);
    } catch (const Error& e) {
      message = e.what();
    }
    CAPTURE(message);
    CHECK(message.find("was renamed, replaced or changed size") != std::string::npos);
    // File 600 lies in group 153 (of 256 over 1000 files): files 597 to 600.
    CHECK(message.find("from " + in_order[597] + " (files 597 to 600)") != std::string::npos);
    CHECK(message.find("bytes, now") != std::string::npos);
  }
  SUBCASE("a file gone") {
    std::filesystem::remove(in_order[10]);
    Pipeline q(parse_pipeline(yaml, "many.yaml"));
    CHECK_THROWS_WITH_AS(q.resume(state), doctest::Contains("the dataset had 1000 files, now 999"), Error);
  }
}

TEST_CASE("a run killed with SIGKILL resumes exactly from the last state it saved") {
  fgtest::TempDir dir;
  const std::string yaml_path = dir / "crash.yaml";
  {
    // 400 µs a sample, one reader: about 1.6 ms a batch, 300 batches.
    std::string yaml = fgtest::small_graph(600, 4, 2, "concurrency: {read: 1}\nprefetch: 2\n");
    yaml.replace(yaml.find("seed: 7}"), 8, "seed: 7, cost: {io_us: 400}}");
    std::ofstream(yaml_path) << yaml;
  }
  const std::string state_path = dir / "state.json";
  const std::string cli = std::string(FEEDGRAPH_CLI);
  std::vector<std::string> args{cli, "run", yaml_path, "-q", "--save-state", state_path, "--save-every", "3"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::mt19937_64 rng(std::random_device{}());
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::filesystem::remove(state_path);
    pid_t child = 0;
    REQUIRE(posix_spawn(&child, cli.c_str(), nullptr, nullptr, argv.data(), environ) == 0);
    // Killed somewhere after its first save, mid-run. Waiting for that save rather than for a fixed time: a
    // sanitizer build on a loaded machine can take most of a second to start.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!std::filesystem::exists(state_path) && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 150)(rng)));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    if (!WIFSIGNALED(status)) continue;                   // it finished first: no crash to resume from
    if (!std::filesystem::exists(state_path)) continue;  // killed before its first save
    const PipelineState state = load_state(state_path);  // whole: written by rename, never half
    Pipeline whole(load_pipeline(yaml_path));
    const std::vector<Got> expected = run_all(whole, whole.settings());
    Pipeline resumed(load_pipeline(yaml_path));
    resumed.resume(state);
    const std::vector<Got> rest = run_all(resumed, resumed.settings());
    const auto skip = static_cast<std::size_t>(state.epoch * 150 + state.batches);
    REQUIRE(rest.size() == expected.size() - skip);
    CHECK(std::equal(rest.begin(), rest.end(), expected.begin() + static_cast<std::ptrdiff_t>(skip)));
    return;
  }
  FAIL("the child never saved a state before it was killed");
}

}  // TEST_SUITE
