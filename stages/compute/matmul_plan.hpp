#pragma once
// How `kernel: matmul` turns `flops_per_batch` into GEMMs over the batch's data, the same on both backends.
//
// The batch (float32) is viewed as a row-major matrix of `rows` × K; every GEMM multiplies up to `kChunkRows`
// consecutive rows of it by a fixed K × N weight matrix into a scratch C. The GEMMs walk the batch's rows,
// wrapping around, until 2·rows·K·N reaches flops_per_batch: every byte of the batch is read (when the
// budget allows), and the work is exactly the FLOPs asked for, to one row.
#include <algorithm>
#include <cmath>
#include <cstdint>

namespace feedgraph::stages {

struct MatmulPlan {
  static constexpr std::int64_t kN = 1024;
  static constexpr std::int64_t kChunkRows = 8192;
  std::int64_t k = 1024;       ///< columns of the batch view
  std::int64_t rows = 0;       ///< rows of the batch view
  std::int64_t total_rows = 0; ///< rows to multiply, over all GEMMs

  static MatmulPlan make(std::int64_t batch_floats, double flops) {
    MatmulPlan p;
    p.k = std::min<std::int64_t>(1024, std::max<std::int64_t>(1, batch_floats));
    p.rows = batch_floats / p.k;
    p.total_rows = p.rows == 0 ? 0 : std::max<std::int64_t>(1, std::llround(flops / (2.0 * p.k * kN)));
    return p;
  }
  double flops() const { return 2.0 * static_cast<double>(total_rows) * static_cast<double>(k) * kN; }

  /// Calls fn(first_row, count) for each GEMM, in order.
  template <class Fn>
  void for_each_gemm(Fn&& fn) const {
    std::int64_t done = 0, row = 0;
    while (done < total_rows) {
      const std::int64_t m = std::min({kChunkRows, rows - row, total_rows - done});
      fn(row, m);
      done += m;
      row = (row + m) % rows;
    }
  }
};

}  // namespace feedgraph::stages
