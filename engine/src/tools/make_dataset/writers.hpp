#pragma once
// One writer per dataset kind; make_dataset() (make_dataset.cpp) checks the options and dispatches.
#include "feedgraph/tools/make_dataset.hpp"

namespace feedgraph::detail {

MadeDataset write_records_dataset(const MakeDatasetOptions& options);  // write_records.cpp
MadeDataset write_npy_dataset(const MakeDatasetOptions& options);      // write_npy.cpp
MadeDataset write_images_dataset(const MakeDatasetOptions& options);   // write_images.cpp

}  // namespace feedgraph::detail
