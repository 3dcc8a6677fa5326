#include "pipeline_binding.hpp"

#include <pybind11/stl.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "array.hpp"
#include "cli/report.hpp"
#include "feedgraph/errors.hpp"
#include "feedgraph/pipeline.hpp"
#include "feedgraph/resources.hpp"
#include "held_batch.hpp"

namespace py = pybind11;

namespace feedgraph::python {
namespace {

/// How often a waiting iterator looks for Ctrl-C: well inside the half second a user waits for it.
constexpr auto signal_poll = std::chrono::milliseconds(50);

class PyPipeline;

/// One pass of `for batch in pipe`: a pulling run and the place in it.
class Iterator {
 public:
  Iterator(std::shared_ptr<PyPipeline> owner, Pipeline::BatchRange range)
      : owner_(std::move(owner)), range_(std::move(range)) {}
  /// Stops the run if batches remain (a `break`, an exception out of the loop).
  ~Iterator() { finish(); }

  py::object next();
  /// Ends the run now; the iterator then raises StopIteration.
  void finish() {
    if (!range_) return;
    py::gil_scoped_release nogil;  // joins the graph's threads, which never need the GIL
    range_.reset();
  }
  bool active() const { return range_.has_value(); }

 private:
  std::shared_ptr<PyPipeline> owner_;  // the pipeline outlives its iterators
  std::optional<Pipeline::BatchRange> range_;
  std::optional<Pipeline::BatchRange::iterator> at_;
};

class PyPipeline : public std::enable_shared_from_this<PyPipeline> {
 public:
  explicit PyPipeline(Pipeline p) : pipeline_(std::move(p)) {}

  Pipeline& pipeline() {
    if (!pipeline_) throw Error("the pipeline was closed");
    return *pipeline_;
  }
  bool cuda() { return pipeline().plan().backend == "cuda"; }
  int device_index() { return pipeline().plan().device_index; }

  std::shared_ptr<Iterator> iterate() {
    stop_iterating();  // a new pass replaces one still running
    std::optional<Pipeline::BatchRange> range;
    {
      py::gil_scoped_release nogil;  // allocation and cache filling may take a while
      range.emplace(pipeline().batches(streams_later));
    }
    auto it = std::make_shared<Iterator>(shared_from_this(), std::move(*range));
    current_ = it;
    return it;
  }
  void stop_iterating() {
    if (auto it = current_.lock()) it->finish();
  }
  void stop() {
    if (!pipeline_) return;
    stop_iterating();
    py::gil_scoped_release nogil;
    pipeline_->stop();
  }
  /// Stop and free everything now, though iterators may still refer to the pipeline (they end).
  void close() {
    stop();
    py::gil_scoped_release nogil;
    pipeline_.reset();
  }
  std::string stats_json() {
    Pipeline& p = pipeline();
    RunStats s;
    {
      py::gil_scoped_release nogil;
      s = p.stats();
    }
    return cli::run_json(s).dump();
  }
  std::string plan_json() { return cli::plan_json(pipeline().spec(), pipeline().plan()).dump(); }
  std::string state() { return state_json(pipeline().state()); }
  void resume(const std::vector<std::string>& documents) {
    std::vector<PipelineState> states;
    for (const auto& d : documents) states.push_back(parse_state(d, "state_dict"));
    stop_iterating();  // a pass still running ends: the next one starts from the state
    Pipeline& p = pipeline();
    py::gil_scoped_release nogil;
    p.stop();
    p.resume(states);
  }

 private:
  std::optional<Pipeline> pipeline_;  // empty once closed
  std::weak_ptr<Iterator> current_;
};

py::object Iterator::next() {
  if (!range_) throw py::stop_iteration();
  // Wait without the GIL, looking for signals between waits: a training script's Ctrl-C must not wait for a
  // slow pipeline, and other Python threads run meanwhile.
  for (;;) {
    bool ready = false;
    {
      py::gil_scoped_release nogil;
      ready = range_->ready_within(signal_poll);
    }
    if (ready) break;
    if (PyErr_CheckSignals() != 0) {
      py::error_already_set interrupt;  // KeyboardInterrupt, or what a Python signal handler raised
      finish();
      throw interrupt;
    }
  }
  try {
    py::gil_scoped_release nogil;
    if (!at_) at_.emplace(range_->begin());  // ready: neither takes long
    else ++*at_;
  } catch (...) {
    at_.reset();
    finish();  // the run failed: stopped and joined; its error goes to the loop
    throw;
  }
  if (*at_ == range_->end()) {
    at_.reset();
    finish();
    throw py::stop_iteration();
  }
  auto held = std::make_shared<HeldBatch>(std::move(**at_), owner_->cuda(), owner_->device_index());
  return py::cast(held);
}


}  // namespace

void bind_pipeline(py::module_& m) {
  py::class_<HeldBatch, std::shared_ptr<HeldBatch>>(m, "Batch",
                                                    "One batch in device memory (host memory on the host backend). "
                                                    "`data` and `labels` are zero-copy arrays (feedgraph.Array); the "
                                                    "buffer goes back to the pipeline once this object and every "
                                                    "tensor made from it are gone.")
      .def_property_readonly("data", [](const std::shared_ptr<HeldBatch>& h) { return Array(h, Array::Part::data); },
                             "The batch's samples, shape (samples, dims...), after device_transforms.")
      .def_property_readonly("labels", [](const std::shared_ptr<HeldBatch>& h) { return Array(h, Array::Part::labels); },
                             "One int64 label per sample, in the same memory as `data`.")
      .def_property_readonly("sample_ids",
                             [](const HeldBatch& h) {
                               auto ids = h.batch.sample_ids();
                               return std::vector<std::int64_t>(ids.begin(), ids.end());
                             },
                             "Each sample's id in the dataset, in batch order.")
      .def_property_readonly("host_labels",
                             [](const HeldBatch& h) {
                               auto l = h.batch.host_labels();
                               return std::vector<std::int64_t>(l.begin(), l.end());
                             },
                             "The labels as a list of ints (host memory).")
      .def_property_readonly("samples", [](const HeldBatch& h) { return h.batch.samples(); })
      .def_property_readonly("epoch", [](const HeldBatch& h) { return h.batch.epoch(); })
      .def_property_readonly("index", [](const HeldBatch& h) { return h.batch.index(); },
                             "The batch's place in its epoch, 0-based.")
      .def_property_readonly("ticket", [](const HeldBatch& h) { return h.batch.ticket(); },
                             "The batch's place in the whole run, 0-based.")
      .def("__len__", [](const HeldBatch& h) { return h.batch.samples(); })
      .def("__repr__", [](const HeldBatch& h) {
        return "feedgraph.Batch(epoch=" + std::to_string(h.batch.epoch()) + ", index=" + std::to_string(h.batch.index()) +
               ", samples=" + std::to_string(h.batch.samples()) + ")";
      });

  py::class_<Iterator, std::shared_ptr<Iterator>>(m, "_Iterator")
      .def("__iter__", [](const std::shared_ptr<Iterator>& it) { return it; })
      .def("__next__", &Iterator::next)
      .def("close", &Iterator::finish, "Stop the run now (as leaving the loop does).");

  py::class_<PyPipeline, std::shared_ptr<PyPipeline>>(m, "_Pipeline")
      .def_static(
          "from_file",
          [](const std::string& path, const std::vector<std::string>& overrides, bool tune_auto) {
            std::optional<Pipeline> p;
            {
              py::gil_scoped_release nogil;
              p.emplace(Pipeline::from_file(path, overrides, BuildOptions{tune_auto}));
            }
            return std::make_shared<PyPipeline>(std::move(*p));
          },
          py::arg("path"), py::arg("overrides"), py::arg("tune_auto"))
      .def_static(
          "from_yaml",
          [](const std::string& text, const std::string& origin, const std::vector<std::string>& overrides,
             bool tune_auto) {
            std::optional<Pipeline> p;
            {
              py::gil_scoped_release nogil;
              p.emplace(Pipeline::from_yaml(text, origin, overrides, BuildOptions{tune_auto}));
            }
            return std::make_shared<PyPipeline>(std::move(*p));
          },
          py::arg("text"), py::arg("origin"), py::arg("overrides"), py::arg("tune_auto"))
      .def("iterate", &PyPipeline::iterate)
      .def("stop", &PyPipeline::stop)
      .def("close", &PyPipeline::close)
      .def("stats_json", &PyPipeline::stats_json)
      .def("plan_json", &PyPipeline::plan_json)
      .def("state_json", &PyPipeline::state)
      .def("resume", &PyPipeline::resume)
      .def("batches", [](PyPipeline& p) { return p.pipeline().plan().batches; })
      .def("tuning", [](PyPipeline& p) { return p.pipeline().tuning(); })
      .def("name", [](PyPipeline& p) { return p.pipeline().spec().name; });

  m.def(
      "live_resources",
      [] {
        const LiveResources r = live_resources();
        py::dict d;
        d["runs"] = r.runs;
        d["threads"] = r.threads;
        d["pinned_allocations"] = r.pinned_allocations;
        d["device_allocations"] = r.device_allocations;
        d["cuda_handles"] = r.cuda_handles;
        return d;
      },
      "What the engine holds right now across the process: runs, threads, pinned and device allocations, CUDA "
      "streams and events. All zero once no pipeline runs and no batch is held.");
  m.def("assemblies_built", &assemblies_built, "How many pipelines this process has assembled.");
}

}  // namespace feedgraph::python
