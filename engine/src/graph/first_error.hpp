#pragma once
// The error a failed run reports: the first one recorded, except where a kernel's fault surfaced first elsewhere.
#include <exception>

#include "feedgraph/errors.hpp"

namespace feedgraph::detail {

/// A kernel's fault (a trap, an illegal address) poisons the whole CUDA context: every call after it, on any
/// thread, fails with the fault's code, so a copy, an event or a free may report it before the compute stream's
/// own status arrives. That status names the batch whose kernels faulted, so it takes the place of a first
/// error of the same code; every other error after the first is dropped. (On the H100 the trap test's first
/// error was another thread's in one run of seven.) Not locked: its owner keeps it under a mutex.
class FirstError {
 public:
  struct Kept {
    std::exception_ptr error;  ///< the error kept
    bool replaced = false;     ///< `e` took the place of an earlier error
  };
  /// Offers `e`; `compute_fault`: `e` is the compute stream's status after a batch's kernels.
  Kept offer(std::exception_ptr e, bool compute_fault) {
    const int code = cuda_code(e);
    const bool names_the_fault = compute_fault && error_ && !is_fault_ && code != 0 && code == code_;
    if (!error_ || names_the_fault) {
      error_ = e;
      code_ = code;
      is_fault_ = compute_fault;
    }
    return {error_, names_the_fault};
  }
  const std::exception_ptr& get() const { return error_; }
  explicit operator bool() const { return error_ != nullptr; }

 private:
  static int cuda_code(const std::exception_ptr& e) {
    try {
      std::rethrow_exception(e);
    } catch (const CudaError& c) {
      return c.code();
    } catch (...) {
      return 0;
    }
  }

  std::exception_ptr error_;
  int code_ = 0;           // error_'s CUDA code where it is a CudaError
  bool is_fault_ = false;  // error_ is the compute stream's status
};

}  // namespace feedgraph::detail
