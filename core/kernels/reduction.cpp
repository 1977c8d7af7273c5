#include "core/kernels/reduction.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "core/kernels/reduction.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include <algorithm>

#include "core/kernels/blocks.h"
#include "core/kernels/map-inl.h"
#include "core/kernels/row_reductions-inl.h"
#include "core/parallel.h"

HWY_BEFORE_NAMESPACE();
namespace knnformer::kernels::HWY_NAMESPACE {

float sum(const float* x, int64_t count) {
  const double total = sum_over_blocks(count, kElementsPerBlock, [x](int64_t begin, int64_t end) HWY_ATTR {
    return double(row_sum(x + begin, end - begin));
  });
  return static_cast<float>(total);
}

// Columns per work item: a row of them is one cache line's worth of vectors.
constexpr int64_t kColumnsPerItem = 64;

void add_column_sums(const float* x, int64_t rows, int64_t cols, float* sums, bool overwrite) {
  parallel_for(0, (cols + kColumnsPerItem - 1) / kColumnsPerItem, [&](int64_t item) HWY_ATTR {
    const int64_t begin = item * kColumnsPerItem, count = std::min(kColumnsPerItem, cols - begin);
    if (overwrite) std::fill(sums + begin, sums + begin + count, 0.0f);
    for (int64_t r = 0; r < rows; ++r)
      map_row(sums + begin, count, [](FloatVector total, FloatVector value) HWY_ATTR { return hn::Add(total, value); },
              sums + begin, x + r * cols + begin);
  });
}

}  // namespace knnformer::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE

#include <numeric>

#include "core/kernels/simd_target.h"

namespace knnformer::kernels {

HWY_EXPORT(sum);
HWY_EXPORT(add_column_sums);

float sum(const float* x, int64_t count) { return KNNFORMER_DISPATCH(sum)(x, count); }

void add_column_sums(const float* x, int64_t rows, int64_t cols, float* sums, bool overwrite) {
  KNNFORMER_DISPATCH(add_column_sums)(x, rows, cols, sums, overwrite);
}

namespace reference {

float sum(const float* x, int64_t count) {
  const double total = sum_over_blocks(
      count, kElementsPerBlock, [x](int64_t begin, int64_t end) { return std::accumulate(x + begin, x + end, 0.0); });
  return static_cast<float>(total);
}

void add_column_sums(const float* x, int64_t rows, int64_t cols, float* sums, bool overwrite) {
  if (overwrite) std::fill(sums, sums + cols, 0.0f);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < cols; ++j) sums[j] += x[r * cols + j];
}

}  // namespace reference

}  // namespace knnformer::kernels

#endif  // HWY_ONCE
