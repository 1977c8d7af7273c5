#pragma once
// The sum of an array, the same bits on any number of threads.
//
//   const float total = kernels::sum(x, n);
//
// Fixed blocks (core/kernels/blocks.h) are summed in parallel, each into a
// double, and the block sums added in block order. knnformer::kernels uses
// 8 float lanes inside a block when AVX2 is compiled in (a block's sum then
// carries about sqrt(16 K)·ulp relative rounding); knnformer::kernels::reference
// sums every element in double.
#include <cstdint>

namespace knnformer::kernels {

float sum(const float* x, int64_t count);

namespace reference {
float sum(const float* x, int64_t count);
}  // namespace reference

}  // namespace knnformer::kernels
