// Which error a failed run reports: the first, unless a kernel's fault reached another thread's call first.
#include <doctest/doctest.h>

#include "graph/first_error.hpp"

using namespace feedgraph;
using feedgraph::detail::FirstError;

namespace {
std::exception_ptr cuda(const std::string& call, int code) {
  return std::make_exception_ptr(CudaError(call, code, "cudaErrorLaunchFailure", "unspecified launch failure"));
}
std::string what(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  }
}
}  // namespace

TEST_SUITE_BEGIN("graph");

TEST_CASE("a run reports its first error / later ones are dropped") {
  FirstError first;
  CHECK_FALSE(first);
  const auto stage = std::make_exception_ptr(StageError("transform", 3, 7, "bad pixel"));
  CHECK(first.offer(stage, false).error == stage);
  CHECK(first.offer(cuda("copy of batch 4 (stream callback status)", 719), false).error == stage);
  const auto kept = first.offer(cuda("compute of batch 5 (stream callback status)", 719), true);  // not a CUDA code
  CHECK(kept.error == stage);
  CHECK_FALSE(kept.replaced);
  CHECK(first.get() == stage);
}

TEST_CASE("a kernel's fault seen first by another call is reported as the compute of its batch") {
  FirstError first;
  CHECK_FALSE(first.offer(cuda("copy of batch 6 (stream callback status)", 719), false).replaced);
  CHECK_FALSE(first.offer(cuda("cudaFreeHost(p)", 719), false).replaced);
  const auto fault = cuda("compute of batch 5 (stream callback status)", 719);
  const auto kept = first.offer(fault, true);
  CHECK(kept.error == fault);
  CHECK(kept.replaced);
  CHECK(what(first.get()).find("compute of batch 5") != std::string::npos);
  // The compute stream's first status stays: a later batch's compute saw the same poisoned context.
  const auto later = first.offer(cuda("compute of batch 6 (stream callback status)", 719), true);
  CHECK(later.error == fault);
  CHECK_FALSE(later.replaced);
}

TEST_CASE("a compute status of another code does not replace the first error") {
  FirstError first;
  const auto copy = cuda("cudaMemcpyAsync", 700);
  first.offer(copy, false);
  CHECK(first.offer(cuda("compute of batch 2 (stream callback status)", 719), true).error == copy);
}

TEST_SUITE_END();
