#pragma once
// cuBLAS, opened on first use instead of linked: loading libcublas and libcublasLt costs the process about
// 0.4 s and 200 MB resident at start-up, which every `feedgraph --help` and `validate` paid although only a
// matmul compute stage on a GPU calls it. The matmul stage asks for it when it prepares on the cuda backend.
#if FEEDGRAPH_HAVE_CUDA
#include <cublas_v2.h>
#include <dlfcn.h>

#include <string>

#include "feedgraph/errors.hpp"

namespace feedgraph::stages {

/// The cuBLAS entry points the matmul stage calls, from the library of the toolkit the engine was built with.
struct CublasLibrary {
  decltype(&cublasCreate_v2) create = nullptr;
  decltype(&cublasDestroy_v2) destroy = nullptr;
  decltype(&cublasSetMathMode) set_math_mode = nullptr;
  decltype(&cublasSetWorkspace_v2) set_workspace = nullptr;
  decltype(&cublasSetStream_v2) set_stream = nullptr;
  decltype(&cublasSgemm_v2) sgemm = nullptr;
  decltype(&cublasGetStatusName) status_name = nullptr;
  decltype(&cublasGetStatusString) status_string = nullptr;
};

/// Opens libcublas.so.<major> once, for the process (it stays loaded: cuBLAS handles may outlive any one
/// stage). Throws Error naming the library and the loader's reason when it cannot be opened.
inline const CublasLibrary& cublas_library() {
  static const CublasLibrary library = [] {
    const std::string name = "libcublas.so." + std::to_string(CUBLAS_VER_MAJOR);
    void* handle = ::dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char* why = ::dlerror();
      throw Error("kernel: matmul needs cuBLAS: cannot open " + name + ": " + (why ? why : "unknown reason"));
    }
    CublasLibrary l;
    auto bind = [&](auto& fn, const char* symbol) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(::dlsym(handle, symbol));
      if (!fn) throw Error("kernel: matmul needs cuBLAS: " + name + " has no " + symbol);
    };
    bind(l.create, "cublasCreate_v2");
    bind(l.destroy, "cublasDestroy_v2");
    bind(l.set_math_mode, "cublasSetMathMode");
    bind(l.set_workspace, "cublasSetWorkspace_v2");
    bind(l.set_stream, "cublasSetStream_v2");
    bind(l.sgemm, "cublasSgemm_v2");
    bind(l.status_name, "cublasGetStatusName");
    bind(l.status_string, "cublasGetStatusString");
    return l;
  }();
  return library;
}

}  // namespace feedgraph::stages
#endif
