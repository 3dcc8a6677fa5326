#include "errors.hpp"

#include "feedgraph/errors.hpp"

namespace py = pybind11;

namespace feedgraph::python {
namespace {

// Owned by the module for the life of the process (the interpreter never unloads an extension module).
struct Classes {
  PyObject* error = nullptr;
  PyObject* config = nullptr;
  PyObject* stage = nullptr;
  PyObject* data = nullptr;
  PyObject* cuda = nullptr;
  PyObject* stall = nullptr;
};
Classes classes;

PyObject* make_class(py::module_& m, const char* name, PyObject* base, const char* doc) {
  const std::string qualified = std::string("feedgraph.") + name;
  PyObject* type = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, base, nullptr);
  if (!type) throw py::error_already_set();
  m.add_object(name, py::reinterpret_borrow<py::object>(type));
  return type;
}

/// Raise `type(what)` with the attributes `set` puts on the instance.
template <class Set>
void raise(PyObject* type, const char* what, Set&& set) {
  py::object instance = py::reinterpret_borrow<py::object>(type)(py::str(what));
  set(instance);
  PyErr_SetObject(type, instance.ptr());
}

}  // namespace

void bind_errors(py::module_& m) {
  classes.error = make_class(m, "Error", PyExc_Exception,
                             "Every error feedgraph raises: a bad pipeline file, a failed stage, a CUDA error, a stall.");
  classes.config = make_class(m, "ConfigError", classes.error,
                              "A pipeline file or override that cannot be run. str() is 'file:line:col: key: message'; "
                              "the attributes file, line, column (1-based, 0 when unknown), key_path and message "
                              "hold the parts.");
  classes.stage = make_class(m, "StageError", classes.error,
                             "A stage failed on a batch. Attributes: node, batch (-1 when none), sample (-1 when "
                             "none), message.");
  classes.data = make_class(m, "DataError", classes.error,
                            "Bad input data (a truncated record, an undecodable image). Attributes: where, message.");
  classes.cuda = make_class(m, "CudaError", classes.error,
                            "A CUDA runtime call failed. Attributes: call, code, name.");
  classes.stall = make_class(m, "StallError", classes.error,
                             "The pipeline made no progress for watchdog_s seconds; the message names each node's "
                             "state.");

  py::register_exception_translator([](std::exception_ptr p) {
    if (!p) return;
    try {
      std::rethrow_exception(p);
    } catch (const ConfigError& e) {
      raise(classes.config, e.what(), [&](py::object& x) {
        x.attr("file") = e.file();
        x.attr("line") = e.line();
        x.attr("column") = e.column();
        x.attr("key_path") = e.key_path();
        x.attr("message") = e.message();
      });
    } catch (const StageError& e) {
      raise(classes.stage, e.what(), [&](py::object& x) {
        x.attr("node") = e.node();
        x.attr("batch") = e.batch();
        x.attr("sample") = e.sample();
        x.attr("message") = e.message();
      });
    } catch (const DataError& e) {
      raise(classes.data, e.what(), [&](py::object& x) {
        x.attr("where") = e.where();
        x.attr("message") = e.message();
      });
    } catch (const CudaError& e) {
      raise(classes.cuda, e.what(), [&](py::object& x) {
        x.attr("call") = e.call();
        x.attr("code") = e.code();
        x.attr("name") = e.name();
      });
    } catch (const StallError& e) {
      raise(classes.stall, e.what(), [](py::object&) {});
    } catch (const Error& e) {
      raise(classes.error, e.what(), [](py::object&) {});
    }
  });
}

}  // namespace feedgraph::python
