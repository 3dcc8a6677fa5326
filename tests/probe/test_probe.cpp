// feedgraph probe: what the host backend measures, what the cuda backend adds, and how the --json document
// and the ceiling lines of run and compare read. Machine-dependent relations are not asserted beyond "> 0",
// except that splitting a copy across every core must not halve it.
#include <doctest/doctest.h>

#include <optional>
#include <string>

#include "backend/backend.hpp"
#include "cli/probe_report.hpp"
#include "cli/report.hpp"
#include "feedgraph/errors.hpp"
#include "feedgraph/tools/probe.hpp"

using namespace feedgraph;

namespace {

constexpr std::size_t kKiB = 1024;
constexpr std::size_t kMiB = 1024 * 1024;

/// One host probe for every test that reads it: each allocates and copies 2 × 256 MiB.
const ProbeResult& host_probe() {
  static const ProbeResult result = [] {
    ProbeOptions options;
    options.device = "host";
    options.repeats = 3;
    return probe(options);
  }();
  return result;
}

bool cuda_answers() {
  std::string why;
  return detail::cuda_device_count(why) > 0;
}

/// A cuda-shaped result with made-up figures, for the report builders.
ProbeResult cuda_like_result() {
  ProbeResult r;
  r.backend = "cuda";
  r.device_name = "NVIDIA H100 80GB HBM3";
  r.device_reason = "device: cuda";
  r.pcie = "0000:1B:00.0";
  r.cores = 16;
  r.copy_engines = 3;
  r.repeats = 5;
  r.link = {{64 * kKiB, 20.5, 6.0, 21.0, 5.5}, {64 * kMiB, 54.0, 14.0, 55.0, 12.0}};
  r.memcpy_bytes = 256 * kMiB;
  r.memcpy_gbps_one_thread = 9.0;
  r.memcpy_gbps_all_cores = 40.0;
  r.pinned_memcpy_gbps_one_thread = 8.5;
  return r;
}

RunStats run_with_h2d(const std::string& variant, double h2d_gbps) {
  RunStats run;
  run.graph = "seed";
  run.variant = variant;
  run.backend = "cuda";
  run.h2d_gbps = h2d_gbps;
  return run;
}

}  // namespace

TEST_SUITE_BEGIN("probe");

TEST_CASE("probe on the host backend measures cores and memcpy and leaves the link table empty") {
  const ProbeResult& r = host_probe();
  CHECK(r.backend == "host");
  CHECK(r.cores >= 1);
  CHECK(r.memcpy_bytes >= 256 * kMiB);
  CHECK(r.memcpy_gbps_one_thread > 0);
  CHECK(r.memcpy_gbps_all_cores > 0);
  CHECK(r.link.empty());
  CHECK(r.copy_engines == 0);
  CHECK(r.pinned_memcpy_gbps_one_thread == 0);
  CHECK(r.pcie.empty());
  CHECK(r.repeats == 3);
}

// A speed comparison, so in the `timing` suite that sanitizer runs leave out (tests/CMakeLists.txt).
TEST_CASE("probe on the host backend: every core copying a part is not much slower than one copying it all" *
          doctest::test_suite("timing")) {
  const ProbeResult& r = host_probe();
  // Even on a busy machine.
  CHECK(r.memcpy_gbps_all_cores >= 0.5 * r.memcpy_gbps_one_thread);
}

TEST_CASE("probe rejects repeats below one and a zero transfer size and an unknown device") {
  ProbeOptions options;
  options.device = "host";
  options.repeats = 0;
  CHECK_THROWS_AS(probe(options), Error);
  options.repeats = 1;
  options.sizes = {kMiB, 0};
  CHECK_THROWS_AS(probe(options), Error);
  options.sizes = {kMiB};
  options.device = "gpu";
  CHECK_THROWS_AS(probe(options), Error);
}

TEST_CASE("the default probe sizes run from 64 KiB to 256 MiB") {
  const ProbeOptions options;
  REQUIRE(options.sizes.size() == 7);
  CHECK(options.sizes.front() == 64 * kKiB);
  CHECK(options.sizes.back() == 256 * kMiB);
  CHECK(options.repeats == 5);
  CHECK(options.device == "auto");
}

TEST_CASE("without a GPU asking for the link or the pinned ceiling is an Error") {
  if (cuda_answers()) {
    MESSAGE("a CUDA device answers here: nothing to check");
    return;
  }
  CHECK_THROWS_AS(pinned_h2d_ceiling_gbps(0, kMiB), Error);
  ProbeOptions options;
  options.device = "cuda";
  CHECK_THROWS_AS(probe(options), Error);
  // auto falls back to the host backend and says why.
  options.device = "auto";
  options.repeats = 1;
  const ProbeResult r = probe(options);
  CHECK(r.backend == "host");
  CHECK_FALSE(r.device_reason.empty());
}

TEST_CASE("the probe JSON of a host probe has every key and an empty link table") {
  const auto doc = cli::probe_report_json(host_probe());
  CHECK(doc.at("feedgraph") == version());
  const auto& p = doc.at("probe");
  for (const char* key : {"backend", "device_name", "device_reason", "device_index", "pcie", "cores", "copy_engines",
                          "repeats", "memcpy_bytes", "memcpy_gbps_one_thread", "memcpy_gbps_all_cores",
                          "pinned_memcpy_gbps_one_thread", "link"}) {
    CAPTURE(key);
    CHECK(p.contains(key));
  }
  CHECK(p.at("backend") == "host");
  CHECK(p.at("link").is_array());
  CHECK(p.at("link").empty());
  CHECK(p.at("memcpy_gbps_one_thread").get<double>() > 0);
}

TEST_CASE("the probe JSON of a GPU probe has one link object per size") {
  const auto p = cli::probe_report_json(cuda_like_result()).at("probe");
  CHECK(p.at("copy_engines") == 3);
  CHECK(p.at("pcie") == "0000:1B:00.0");
  REQUIRE(p.at("link").size() == 2);
  const auto& row = p.at("link").at(1);
  CHECK(row.at("bytes") == 64 * kMiB);
  CHECK(row.at("pinned_h2d_gbps") == 54.0);
  CHECK(row.at("pageable_h2d_gbps") == 14.0);
  CHECK(row.at("pinned_d2h_gbps") == 55.0);
  CHECK(row.at("pageable_d2h_gbps") == 12.0);
}

TEST_CASE("the probe text shows the link table of a GPU and says on host that the rows need one") {
  const std::string cuda_text = cli::probe_text(cuda_like_result());
  CHECK(cuda_text.find("pinned H2D") != std::string::npos);
  CHECK(cuda_text.find("64.00 KiB") != std::string::npos);
  CHECK(cuda_text.find("54.00") != std::string::npos);
  CHECK(cuda_text.find("copy engines   3") != std::string::npos);
  CHECK(cuda_text.find("PCI 0000:1B:00.0") != std::string::npos);

  const std::string host_text = cli::probe_text(host_probe());
  CHECK(host_text.find("need a CUDA device") != std::string::npos);
  CHECK(host_text.find("memcpy") != std::string::npos);
  CHECK(host_text.find("pinned H2D") == std::string::npos);
}

TEST_CASE("a run's JSON carries the pinned ceiling right after h2d_gbps and only when measured") {
  const RunStats run = run_with_h2d("concurrent", 12.4);
  const auto without = cli::run_json(run);
  CHECK_FALSE(without.contains("h2d_ceiling_gbps"));
  CHECK_FALSE(without.contains("h2d_fraction_of_ceiling"));

  const auto with = cli::run_json(run, cli::H2dCeiling{52.1, 64 * kMiB});
  CHECK(with.at("h2d_ceiling_gbps") == 52.1);
  CHECK(with.at("h2d_ceiling_bytes") == 64 * kMiB);
  CHECK(with.at("h2d_fraction_of_ceiling").get<double>() == doctest::Approx(12.4 / 52.1));
  // The ceiling sits next to the rate it qualifies; every other key keeps its place.
  auto key = with.begin();
  while (key.key() != "h2d_gbps") ++key;
  CHECK((++key).key() == "h2d_ceiling_gbps");
  CHECK(with.size() == without.size() + 3);

  const auto doc = cli::report_json({run_with_h2d("serial", 1.0), run}, true, {std::nullopt, cli::H2dCeiling{52.1, 64 * kMiB}});
  CHECK_FALSE(doc.at("runs").at(0).contains("h2d_ceiling_gbps"));
  CHECK(doc.at("runs").at(1).contains("h2d_fraction_of_ceiling"));
  // The old two-argument form still writes no ceiling.
  CHECK_FALSE(cli::report_json({run}, false).at("runs").at(0).contains("h2d_ceiling_gbps"));
}

TEST_CASE("the ceiling line reads delivered H2D as a share of the pinned ceiling at the batch size") {
  const RunStats run = run_with_h2d("concurrent", 12.4);
  CHECK(cli::ceiling_text({run}, {cli::H2dCeiling{52.1, 64 * kMiB}}) ==
        "  H2D 12.40 GB/s delivered = 24% of the pinned ceiling (52.1 GB/s at 64.00 MiB)\n");
  CHECK(cli::ceiling_text({run}, {std::nullopt}).empty());
  CHECK(cli::ceiling_text({run}, {}).empty());

  const std::string both = cli::ceiling_text({run_with_h2d("serial", 2.6), run},
                                             {cli::H2dCeiling{52.1, 64 * kMiB}, cli::H2dCeiling{52.1, 64 * kMiB}});
  CHECK(both ==
        "  serial      H2D 2.60 GB/s delivered = 5% of the pinned ceiling (52.1 GB/s at 64.00 MiB)\n"
        "  concurrent  H2D 12.40 GB/s delivered = 24% of the pinned ceiling (52.1 GB/s at 64.00 MiB)\n");
}

TEST_SUITE_END();

TEST_SUITE("gpu") {
  TEST_CASE("cuda: probe measures one link row per size with positive rates and at least one copy engine") {
    ProbeOptions options;
    options.device = "cuda";
    options.sizes = {64 * kKiB, kMiB, 64 * kMiB};
    options.repeats = 3;
    const ProbeResult r = probe(options);
    CHECK(r.backend == "cuda");
    CHECK(r.copy_engines >= 1);
    CHECK(r.cores >= 1);
    CHECK(r.pinned_memcpy_gbps_one_thread > 0);
    CHECK(r.memcpy_gbps_one_thread > 0);
    REQUIRE(r.link.size() == options.sizes.size());
    for (std::size_t i = 0; i < r.link.size(); ++i) {
      const LinkRate& row = r.link[i];
      CAPTURE(row.bytes);
      CHECK(row.bytes == options.sizes[i]);
      CHECK(row.pinned_h2d_gbps > 0);
      CHECK(row.pageable_h2d_gbps > 0);
      CHECK(row.pinned_d2h_gbps > 0);
      CHECK(row.pageable_d2h_gbps > 0);
    }
  }

  TEST_CASE("cuda: the pinned H2D ceiling at a batch size is positive") {
    CHECK(pinned_h2d_ceiling_gbps(0, 64 * kMiB) > 0);
    CHECK(pinned_h2d_ceiling_gbps(0, 768 * kKiB) > 0);
    CHECK_THROWS_AS(pinned_h2d_ceiling_gbps(0, 0), Error);
  }
}
