#pragma once
// Every CUDA runtime call goes through one of these: FG_CUDA throws CudaError naming the call;
// FG_CUDA_NOTHROW, for destructors and teardown, reports to stderr and carries on.
#include <cuda_runtime_api.h>

#include <string>

#include "feedgraph/errors.hpp"

namespace feedgraph::detail {

[[noreturn]] inline void throw_cuda(const char* call, cudaError_t code) {
  throw CudaError(call, static_cast<int>(code), cudaGetErrorName(code), cudaGetErrorString(code));
}
void warn_cuda(const char* call, cudaError_t code) noexcept;

}  // namespace feedgraph::detail

#define FG_CUDA(call)                                                        \
  do {                                                                       \
    const cudaError_t fg_status_ = (call);                                   \
    if (fg_status_ != cudaSuccess) ::feedgraph::detail::throw_cuda(#call, fg_status_); \
  } while (0)

#define FG_CUDA_NOTHROW(call)                                                \
  do {                                                                       \
    const cudaError_t fg_status_ = (call);                                   \
    if (fg_status_ != cudaSuccess) ::feedgraph::detail::warn_cuda(#call, fg_status_); \
  } while (0)
