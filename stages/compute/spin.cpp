// `kernel: spin` with `us` — the checksum plus a calibrated busy time per batch: a compute stage whose cost
// is set exactly, for compute-bound graphs and for tests.
#include <chrono>

#include "compute/spin.hpp"
#include "feedgraph/device_checksum.hpp"
#include "feedgraph/errors.hpp"
#include "feedgraph/stage.hpp"

namespace feedgraph::stages {
namespace {

class SpinKernel final : public ComputeStage {
 public:
  explicit SpinKernel(double us) : us_(us) {}

  void launch(const ComputeLaunch& l) override {
    using namespace std::chrono;
    // On the host backend the busy time counts from here, the checksum included.
    const auto until = steady_clock::now() + duration_cast<steady_clock::duration>(duration<double, std::micro>(us_));
    launch_checksum(l);
    if (l.backend == BackendKind::cuda) {
#if FEEDGRAPH_HAVE_CUDA
      enqueue_spin(static_cast<std::uint64_t>(us_ * 1000.0), l.stream);
#endif
      return;
    }
    while (steady_clock::now() < until) {
    }
  }

 private:
  double us_;
};

}  // namespace

std::unique_ptr<ComputeStage> make_spin(const StageOptions& o, const StageContext&) {
  return std::make_unique<SpinKernel>(o.number("us", 1000.0, {.min = 0, .max = 6e7}));
}

}  // namespace feedgraph::stages
