// `kernel: matmul` with `flops_per_batch` — a TF32 GEMM workload over the batch data (cuBLAS on cuda, a
// cache-blocked loop on host), standing in for a model's forward pass of known cost. The reference workload's
// ConvNet costs 4.78e11 FLOP per batch of 256 × 3×256×256.
#include <cstdint>
#include <cstring>
#include <vector>

#include "compute/matmul_plan.hpp"
#include "feedgraph/device_checksum.hpp"
#include "feedgraph/errors.hpp"
#include "feedgraph/stage.hpp"

#if FEEDGRAPH_HAVE_CUDA
#include <cuda_runtime_api.h>

#include "compute/cublas_library.hpp"
#endif

namespace feedgraph::stages {
namespace {

constexpr std::size_t kWorkspaceBytes = 32u << 20;  // cuBLAS's recommended workspace on Hopper

/// Small, fixed weights: the product stays finite and the GEMM never sees a special value.
void fill_weights(std::vector<float>& w) {
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>((i * 2654435761u) % 1024) / 1024.0f - 0.5f;
}

#if FEEDGRAPH_HAVE_CUDA
void check(cudaError_t s, const char* call) {
  if (s != cudaSuccess) throw CudaError(call, static_cast<int>(s), cudaGetErrorName(s), cudaGetErrorString(s));
}
void check(cublasStatus_t s, const char* call) {
  if (s != CUBLAS_STATUS_SUCCESS) {
    const CublasLibrary& blas = cublas_library();
    throw CudaError(call, static_cast<int>(s), blas.status_name(s), blas.status_string(s));
  }
}
#endif

class MatmulKernel final : public ComputeStage {
  static constexpr std::int64_t kHostRows = 4;

 public:
  MatmulKernel(double flops, std::int64_t batch_floats) : flops_(flops), plan_(MatmulPlan::make(batch_floats, flops)) {}

  ~MatmulKernel() override {
#if FEEDGRAPH_HAVE_CUDA
    if (handle_) cublas_library().destroy(handle_);  // a handle exists only once the library was opened
    for (void* p : {weights_dev_, c_dev_, workspace_dev_})
      if (p) cudaFree(p);
#endif
  }

  std::size_t scratch_bytes(BackendKind backend) const override {
    const std::int64_t c = backend == BackendKind::cuda ? c_rows() : kHostRows;
    return sizeof(float) * static_cast<std::size_t>((plan_.k + c) * MatmulPlan::kN) +
           (backend == BackendKind::cuda ? kWorkspaceBytes : 0);
  }

  void prepare(BackendKind backend, CUstream_st* stream) override {
    weights_.resize(static_cast<std::size_t>(plan_.k * MatmulPlan::kN));
    fill_weights(weights_);
    if (backend == BackendKind::host) {
      c_host_.resize(static_cast<std::size_t>(kHostRows * MatmulPlan::kN));
      return;
    }
#if FEEDGRAPH_HAVE_CUDA
    const CublasLibrary& blas = cublas_library();  // opened here, the first time a GPU matmul is prepared
    check(blas.create(&handle_), "cublasCreate");
    check(blas.set_math_mode(handle_, CUBLAS_TF32_TENSOR_OP_MATH), "cublasSetMathMode");
    check(cudaMalloc(&weights_dev_, weights_.size() * sizeof(float)), "cudaMalloc(weights)");
    check(cudaMalloc(&c_dev_, static_cast<std::size_t>(c_rows() * MatmulPlan::kN) * sizeof(float)), "cudaMalloc(C)");
    // Our own workspace: otherwise cuBLAS allocates one on first use, inside the measured run.
    check(cudaMalloc(&workspace_dev_, kWorkspaceBytes), "cudaMalloc(cuBLAS workspace)");
    check(blas.set_workspace(handle_, workspace_dev_, kWorkspaceBytes), "cublasSetWorkspace");
    check(blas.set_stream(handle_, stream), "cublasSetStream");
    check(cudaMemcpyAsync(weights_dev_, weights_.data(), weights_.size() * sizeof(float), cudaMemcpyHostToDevice, stream),
          "cudaMemcpyAsync(weights)");
    // One GEMM now loads cuBLAS's kernels, so module loading stays out of the timed run.
    if (plan_.rows > 0) gemm_cuda(static_cast<const float*>(weights_dev_), std::min<std::int64_t>(plan_.rows, 1));
    check(cudaStreamSynchronize(stream), "cudaStreamSynchronize(matmul warm-up)");
#else
    (void)stream;
#endif
  }

  void launch(const ComputeLaunch& l) override {
    const auto* a = reinterpret_cast<const float*>(l.batch.data);
    const auto plan = MatmulPlan::make(static_cast<std::int64_t>(l.batch.bytes / sizeof(float)), flops_);
    launch_checksum(l);
    if (l.backend == BackendKind::cuda) {
#if FEEDGRAPH_HAVE_CUDA
      check(cublas_library().set_stream(handle_, l.stream), "cublasSetStream");
      plan.for_each_gemm([&](std::int64_t row, std::int64_t m) { gemm_cuda(a + row * plan.k, m, plan.k); });
#endif
      return;
    }
    plan.for_each_gemm([&](std::int64_t row, std::int64_t m) { gemm_host(a + row * plan.k, m, plan.k); });
  }

 private:
  std::int64_t c_rows() const { return std::min(MatmulPlan::kChunkRows, std::max<std::int64_t>(plan_.rows, 1)); }

#if FEEDGRAPH_HAVE_CUDA
  /// Row-major C[m×N] = A[m×k]·W[k×N], written for column-major cuBLAS as Cᵀ = Wᵀ·Aᵀ.
  void gemm_cuda(const float* a, std::int64_t m, std::int64_t k = -1) {
    if (k < 0) k = plan_.k;
    const float alpha = 1.0f, beta = 0.0f;
    const int n = static_cast<int>(MatmulPlan::kN);
    check(cublas_library().sgemm(handle_, CUBLAS_OP_N, CUBLAS_OP_N, n, static_cast<int>(m), static_cast<int>(k), &alpha,
                      static_cast<const float*>(weights_dev_), n, a, static_cast<int>(k), &beta,
                      static_cast<float*>(c_dev_), n),
          "cublasSgemm");
  }
#endif

  /// The same product on the CPU: four rows of A at a time share each row of W, which is what keeps
  /// the loop out of memory bandwidth's way; the inner loop over N vectorizes.
  void gemm_host(const float* a, std::int64_t m, std::int64_t k) {
    constexpr std::int64_t n = MatmulPlan::kN;
    const float* w = weights_.data();
    for (std::int64_t i0 = 0; i0 < m; i0 += kHostRows) {
      const std::int64_t rows = std::min<std::int64_t>(kHostRows, m - i0);
      float* c = c_host_.data();  // rows reuse the first rows of C: only the work matters, not the result
      std::memset(c, 0, sizeof(float) * static_cast<std::size_t>(rows * n));
      for (std::int64_t kk = 0; kk < k; ++kk) {
        const float* wrow = w + kk * n;
        for (std::int64_t r = 0; r < rows; ++r) {
          const float av = a[(i0 + r) * k + kk];
          float* crow = c + r * n;
          for (std::int64_t j = 0; j < n; ++j) crow[j] += av * wrow[j];
        }
      }
    }
  }

  double flops_;
  MatmulPlan plan_;
  std::vector<float> weights_;
  std::vector<float> c_host_;
#if FEEDGRAPH_HAVE_CUDA
  cublasHandle_t handle_ = nullptr;
  void* weights_dev_ = nullptr;
  void* c_dev_ = nullptr;
  void* workspace_dev_ = nullptr;
#endif
};

}  // namespace

std::unique_ptr<ComputeStage> make_matmul(const StageOptions& o, const StageContext& ctx) {
  const double flops = o.number("flops_per_batch", 1e9, {.max = 1e16, .greater_than = 0});
  if (ctx.layout.dtype != DType::f32)
    o.fail("", "matmul needs float32 samples, the compute node gets " + std::string(dtype_name(ctx.layout.dtype)));
  // The plan needs only whether a batch fills 1024 columns and how many rows its scratch holds (at most
  // kChunkRows), so a product past int64 saturates rather than overflowing (batch_size may be far over the
  // samples there are; each launch plans again from the batch's real size).
  std::int64_t floats = 0;
  if (__builtin_mul_overflow(ctx.layout.elements(), ctx.batch_size, &floats)) floats = INT64_MAX;
  return std::make_unique<MatmulKernel>(flops, floats);
}

}  // namespace feedgraph::stages
