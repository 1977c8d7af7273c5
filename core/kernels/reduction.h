#pragma once
// The sum of an array, the same bits on any number of threads.
//
//   const float total = kernels::sum(x, n);
//
// Fixed blocks (core/kernels/blocks.h) are summed in parallel, each into a
// double, and the block sums added in block order. knnformer::kernels runs
// the best SIMD target the CPU has (core/kernels/simd_target.h), which sums
// a block in float, one partial sum per vector lane (16 on AVX-512, 4 on
// SSE4, 1 on the scalar fallback): each lane's sum of 16 K / lanes terms then
// carries about sqrt(16 K / lanes)·ulp relative rounding, so the result is
// the same on any number of threads but not across targets;
// knnformer::kernels::reference sums every element in double.
#include <cstdint>

namespace knnformer::kernels {

float sum(const float* x, int64_t count);

// The sums of the columns of x [rows × cols] (a bias's gradient from a
// linear layer's output gradient): sums[j] = (overwrite ? 0 : sums[j]) +
// Σ_r x[r][j], each column added in row order, so that the result is the
// same bits on every target and any number of threads. Column blocks run in
// parallel.
void add_column_sums(const float* x, int64_t rows, int64_t cols, float* sums, bool overwrite);

namespace reference {
float sum(const float* x, int64_t count);
void add_column_sums(const float* x, int64_t rows, int64_t cols, float* sums, bool overwrite);
}  // namespace reference

}  // namespace knnformer::kernels
