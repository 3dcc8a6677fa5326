// PLACEHOLDER, to be replaced at merge by the images writer (branch issue4-images): it only lets this branch
// link. make_dataset() has checked the options before it gets here.
#include "dataset/writers.hpp"
#include "feedgraph/errors.hpp"

namespace feedgraph::detail {

MadeDataset write_images_dataset(const MakeDatasetOptions&) {
  throw Error("make-dataset --kind images: not built yet");
}

}  // namespace feedgraph::detail
