#pragma once
// feedgraph._Pipeline and its iterator: a feedgraph::Pipeline driven from Python. feedgraph/__init__.py wraps
// it in the documented feedgraph.Pipeline.
//
// Each iter() starts a pulling run (an iterator already running is stopped first); the iterator's batches
// come from Pipeline::batches(streams_later), so a consumer's stream is made to wait only when it takes the
// batch (__dlpack__(stream)). The GIL is released while the pipeline is built and while the iterator waits;
// the graph's threads never touch Python. While it waits, the iterator looks for signals every 50 ms: Ctrl-C
// stops the run (its threads joined, its buffers freed once no tensor holds one) and raises
// KeyboardInterrupt. Dropping an iterator before its end (a `break`, an exception) stops its run.
#include <pybind11/pybind11.h>

namespace feedgraph::python {

void bind_pipeline(pybind11::module_& m);

}  // namespace feedgraph::python
