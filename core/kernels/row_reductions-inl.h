// Vector reductions over one row, shared by the Highway softmax,
// cross-entropy, layer-norm and sum kernels.
//
//   const float shift = row_max(x, n);
//   const float total = row_sum_exp(x, n, shift, y);   // y = exp(x − shift)
//
// Each accumulates one vector of partial results, the row's last few
// elements loaded with a padding that leaves the result unchanged
// (core/kernels/lanes-inl.h), then adds the lanes. The order of the additions
// depends on n and on the target's vector length alone: a result is the same
// on any number of threads, though not across targets. Each lane of an
// L-lane vector sums n/L terms, so the rounding grows with n/L.
#if defined(KNNFORMER_CORE_KERNELS_ROW_REDUCTIONS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef KNNFORMER_CORE_KERNELS_ROW_REDUCTIONS_INL_H_
#undef KNNFORMER_CORE_KERNELS_ROW_REDUCTIONS_INL_H_
#else
#define KNNFORMER_CORE_KERNELS_ROW_REDUCTIONS_INL_H_
#endif

#include <cstdint>
#include <limits>

#include "core/kernels/lanes-inl.h"
#include "core/kernels/vector_math-inl.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace knnformer::kernels::HWY_NAMESPACE {

HWY_INLINE float sum_of_lanes(FloatVector v) { return hn::GetLane(hn::SumOfLanes(FloatTag(), v)); }

HWY_INLINE float row_max(const float* x, int64_t n) {
  const float padding = -std::numeric_limits<float>::infinity();
  FloatVector best = hn::Set(FloatTag(), padding);
  for_each_lane_group(n, [&](int64_t i, auto lanes) HWY_ATTR { best = hn::Max(best, lanes.load(x + i, padding)); });
  return hn::GetLane(hn::MaxOfLanes(FloatTag(), best));
}

HWY_INLINE float row_sum(const float* x, int64_t n) {
  FloatVector sum = hn::Zero(FloatTag());
  for_each_lane_group(n, [&](int64_t i, auto lanes) HWY_ATTR { sum = hn::Add(sum, lanes.load(x + i)); });
  return sum_of_lanes(sum);
}

// Σ (x − centre)².
HWY_INLINE float row_sum_squared_deviation(const float* x, int64_t n, float centre) {
  const FloatVector c = hn::Set(FloatTag(), centre);
  FloatVector sum = hn::Zero(FloatTag());
  for_each_lane_group(n, [&](int64_t i, auto lanes) HWY_ATTR {
    const FloatVector deviation = hn::Sub(lanes.load(x + i, centre), c);
    sum = hn::MulAdd(deviation, deviation, sum);
  });
  return sum_of_lanes(sum);
}

HWY_INLINE float row_dot(const float* a, const float* b, int64_t n) {
  FloatVector sum = hn::Zero(FloatTag());
  for_each_lane_group(
      n, [&](int64_t i, auto lanes) HWY_ATTR { sum = hn::MulAdd(lanes.load(a + i), lanes.load(b + i), sum); });
  return sum_of_lanes(sum);
}

// Σ exp(x − shift), also storing each exp(x − shift) in out unless out is null.
HWY_INLINE float row_sum_exp(const float* x, int64_t n, float shift, float* out) {
  const float padding = -std::numeric_limits<float>::infinity();  // exp(−inf) = 0
  const FloatVector s = hn::Set(FloatTag(), shift);
  FloatVector sum = hn::Zero(FloatTag());
  for_each_lane_group(n, [&](int64_t i, auto lanes) HWY_ATTR {
    const FloatVector e = exp(hn::Sub(lanes.load(x + i, padding), s));
    if (out) lanes.store(out + i, e);
    sum = hn::Add(sum, e);
  });
  return sum_of_lanes(sum);
}

}  // namespace knnformer::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // include guard toggled per target
