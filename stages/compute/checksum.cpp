// `kernel: checksum` — reads every byte of the batch once and produces its checksum: the lightest compute
// that still proves the batch arrived intact.
#include "feedgraph/device_checksum.hpp"
#include "feedgraph/stage.hpp"

namespace feedgraph::stages {
namespace {

class ChecksumKernel final : public ComputeStage {
 public:
  void launch(const ComputeLaunch& l) override { launch_checksum(l); }
};

}  // namespace

std::unique_ptr<ComputeStage> make_checksum(const StageOptions&, const StageContext&) {
  return std::make_unique<ChecksumKernel>();
}

}  // namespace feedgraph::stages
