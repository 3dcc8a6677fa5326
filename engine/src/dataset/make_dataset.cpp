// make_dataset() (make_dataset.hpp): checks the kind and dispatches to its writer.
//
// A stand-in on the issue4-images branch, which dispatches `images` only: the records branch has the real
// dispatcher (records, npy, images, and the shared option checks) and supersedes this file at merge.
#include "dataset/writers.hpp"
#include "feedgraph/errors.hpp"

namespace feedgraph {

MadeDataset make_dataset(const MakeDatasetOptions& options) {
  if (options.kind == "images") return detail::write_images_dataset(options);
  throw Error("make_dataset: kind '" + options.kind + "' is not built on this branch (images only)");
}

}  // namespace feedgraph
