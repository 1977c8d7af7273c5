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

namespace reference {
float sum(const float* x, int64_t count);
}  // namespace reference

}  // namespace knnformer::kernels
