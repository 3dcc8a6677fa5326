// The built-in stages, one registration line each. A new stage: one file in stages/<kind>/ and a line here.
#include "feedgraph/stage.hpp"

namespace feedgraph::stages {
std::unique_ptr<Source> make_npy(const StageOptions&, const StageContext&);
std::unique_ptr<Source> make_records(const StageOptions&, const StageContext&);
std::unique_ptr<Source> make_synthetic(const StageOptions&, const StageContext&);
std::unique_ptr<Source> make_images(const StageOptions&, const StageContext&);
std::unique_ptr<Transform> make_normalize(const StageOptions&, const StageContext&);
std::unique_ptr<Transform> make_decode_jpeg(const StageOptions&, const StageContext&);
std::unique_ptr<Transform> make_resize(const StageOptions&, const StageContext&);
std::unique_ptr<Transform> make_center_crop(const StageOptions&, const StageContext&);
std::unique_ptr<Transform> make_random_resized_crop(const StageOptions&, const StageContext&);
std::unique_ptr<Transform> make_random_flip(const StageOptions&, const StageContext&);
std::unique_ptr<Transform> make_to_chw(const StageOptions&, const StageContext&);
std::unique_ptr<Transform> make_cast(const StageOptions&, const StageContext&);
std::unique_ptr<ComputeStage> make_checksum(const StageOptions&, const StageContext&);
std::unique_ptr<ComputeStage> make_spin(const StageOptions&, const StageContext&);
std::unique_ptr<ComputeStage> make_matmul(const StageOptions&, const StageContext&);
}  // namespace feedgraph::stages

namespace feedgraph {

void register_builtin_stages() {
  register_source("npy", stages::make_npy);
  register_source("records", stages::make_records);
  register_source("synthetic", stages::make_synthetic);
  register_source("images", stages::make_images);
  register_transform("normalize", stages::make_normalize);
  register_transform("decode_jpeg", stages::make_decode_jpeg);
  register_transform("resize", stages::make_resize);
  register_transform("center_crop", stages::make_center_crop);
  register_transform("random_resized_crop", stages::make_random_resized_crop);
  register_transform("random_flip", stages::make_random_flip);
  register_transform("to_chw", stages::make_to_chw);
  register_transform("cast", stages::make_cast);
  register_compute("checksum", stages::make_checksum);
  register_compute("spin", stages::make_spin);
  register_compute("matmul", stages::make_matmul);
}

}  // namespace feedgraph
