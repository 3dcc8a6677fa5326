// The built-in stages, one registration line each. A new stage: one file in stages/<kind>/ and a line here.
#include "feedgraph/stage.hpp"

namespace feedgraph::stages {
std::unique_ptr<Source> make_npy(const StageOptions&, const StageContext&);
std::unique_ptr<Source> make_records(const StageOptions&, const StageContext&);
std::unique_ptr<Source> make_synthetic(const StageOptions&, const StageContext&);
std::unique_ptr<Transform> make_normalize(const StageOptions&, const StageContext&);
std::unique_ptr<ComputeStage> make_checksum(const StageOptions&, const StageContext&);
std::unique_ptr<ComputeStage> make_spin(const StageOptions&, const StageContext&);
std::unique_ptr<ComputeStage> make_matmul(const StageOptions&, const StageContext&);
}  // namespace feedgraph::stages

namespace feedgraph {

void register_builtin_stages() {
  register_source("npy", stages::make_npy);
  register_source("records", stages::make_records);
  register_source("synthetic", stages::make_synthetic);
  register_transform("normalize", stages::make_normalize);
  register_compute("checksum", stages::make_checksum);
  register_compute("spin", stages::make_spin);
  register_compute("matmul", stages::make_matmul);
}

}  // namespace feedgraph
