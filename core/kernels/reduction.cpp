#include "core/kernels/reduction.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "core/kernels/reduction.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include "core/kernels/blocks.h"
#include "core/kernels/row_reductions-inl.h"

HWY_BEFORE_NAMESPACE();
namespace knnformer::kernels::HWY_NAMESPACE {

float sum(const float* x, int64_t count) {
  const double total = sum_over_blocks(count, kElementsPerBlock, [x](int64_t begin, int64_t end) HWY_ATTR {
    return double(row_sum(x + begin, end - begin));
  });
  return static_cast<float>(total);
}

}  // namespace knnformer::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE

#include <numeric>

#include "core/kernels/simd_target.h"

namespace knnformer::kernels {

HWY_EXPORT(sum);

float sum(const float* x, int64_t count) { return KNNFORMER_DISPATCH(sum)(x, count); }

namespace reference {

float sum(const float* x, int64_t count) {
  const double total = sum_over_blocks(count, kElementsPerBlock,
                                       [x](int64_t begin, int64_t end) { return std::accumulate(x + begin, x + end, 0.0); });
  return static_cast<float>(total);
}

}  // namespace reference

}  // namespace knnformer::kernels

#endif  // HWY_ONCE
