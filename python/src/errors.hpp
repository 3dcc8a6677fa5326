#pragma once
// feedgraph's C++ exceptions as Python ones: feedgraph.Error and its subclasses ConfigError (file, line,
// column, key_path), StageError (node, batch, sample), DataError (where), CudaError (call, code, name) and
// StallError, each with the C++ what() as its message. A run's error reaches the loop that iterates.
#include <pybind11/pybind11.h>

namespace feedgraph::python {

/// Makes the exception classes in `m` and registers the translator.
void bind_errors(pybind11::module_& m);

}  // namespace feedgraph::python
