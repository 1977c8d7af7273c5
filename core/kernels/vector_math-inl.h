// exp and tanh on vectors, under the Highway kernels.
//
//   const FloatVector e = exp(hn::Sub(x, row_max));
//
// exp(x) is Highway's (hwy/contrib/math): within 1 ulp of the exact value,
// the bound the kernels' tests assume. It is 0 below −104 (and for −inf), a
// denormal between −104 and −87.3 as libm's is; arguments above 88.7, where
// the result overflows, never reach it in these kernels, which subtract a
// row's maximum or its log-sum-exp first.
//
// exp_on_softmax_range(x) is exp for x ∈ [−87, 0] alone, the clamped
// exponents of softmax weights in the attention tiles, where it is the
// hottest arithmetic after the products; there it is cheaper than exp over
// the whole range. n = round(x·log2 e) comes from adding 1.5·2^23, whose ulp
// is 1: the sum is rounded to an integer and its low mantissa bits hold n,
// which then become the exponent field of 2^n with an integer add and a
// shift. r = x − n·ln2 in two multiply-adds as below, exp(r) by seven more,
// and exp(x) = 2^n·exp(r), a normal float over the whole range (n = −126
// only when r > 0.3). Within 1 ulp, as exp, with fused multiply-adds;
// 1.25 ulp without.
//
// tanh(x) is the project's own rather than Highway's Tanh, whose documented
// bound (4 ulp) is looser than the 3 ulp the GELU tests derive their
// tolerance from. tanh(x) = −m / (2 + m) with m = expm1(−2|x|), carrying the
// sign of x. Unlike 1 − 2/(e^{2x} + 1) this does not cancel for small |x|:
// expm1 has full relative precision near 0, so tanh is accurate to a few ulp
// everywhere and tanh(±0) = ±0. expm1(y) for y <= 0: write y = n·ln2 + r
// with n = round(y / ln2), so |r| <= ln2/2; r is y − n·ln2 in two
// multiply-adds, with ln2 split into a part whose product with n is exact
// and a small correction; expm1(r) = r·q(r) with q the Taylor polynomial
// Σ_{k=0..7} r^k/(k+1)!, whose truncation error (below |r|^8/9! < 6e-10
// relative) is far under float's ulp; and expm1(y) = 2^n·expm1(r) + (2^n − 1).
// Targets without fused multiply-add (SSE4, the scalar fallback) round the
// products separately, which adds a fraction of an ulp.
#if defined(KNNFORMER_CORE_KERNELS_VECTOR_MATH_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef KNNFORMER_CORE_KERNELS_VECTOR_MATH_INL_H_
#undef KNNFORMER_CORE_KERNELS_VECTOR_MATH_INL_H_
#else
#define KNNFORMER_CORE_KERNELS_VECTOR_MATH_INL_H_
#endif

#include <cstdint>

#include "core/kernels/lanes-inl.h"
#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace knnformer::kernels::HWY_NAMESPACE {

HWY_INLINE FloatVector exp(FloatVector x) { return hn::Exp(FloatTag(), x); }

// q(r) = Σ_{k=0..7} r^k / (k+1)!, so that expm1(r) = r·q(r).
HWY_INLINE FloatVector exp_series(FloatVector r) {
  const FloatTag d;
  FloatVector q = hn::Set(d, 1.0f / 40320);  // 1/8!
  q = hn::MulAdd(q, r, hn::Set(d, 1.0f / 5040));
  q = hn::MulAdd(q, r, hn::Set(d, 1.0f / 720));
  q = hn::MulAdd(q, r, hn::Set(d, 1.0f / 120));
  q = hn::MulAdd(q, r, hn::Set(d, 1.0f / 24));
  q = hn::MulAdd(q, r, hn::Set(d, 1.0f / 6));
  q = hn::MulAdd(q, r, hn::Set(d, 0.5f));
  return hn::MulAdd(q, r, hn::Set(d, 1.0f));
}

// exp(x) for x ∈ [−87, 0].
HWY_INLINE FloatVector exp_on_softmax_range(FloatVector x) {
  const FloatTag d;
  const hn::RebindToSigned<FloatTag> d_int;
  constexpr float kRoundingShift = 12582912.0f;  // 1.5·2^23
  constexpr int32_t kRoundingShiftBits = 0x4B400000;
  const FloatVector shifted = hn::MulAdd(x, hn::Set(d, 1.44269504088896341f), hn::Set(d, kRoundingShift));
  const FloatVector n = hn::Sub(shifted, hn::Set(d, kRoundingShift));
  const FloatVector r = hn::NegMulAdd(n, hn::Set(d, 1.428606765330187e-06f),
                                      hn::NegMulAdd(n, hn::Set(d, 0.693145751953125f), x));
  // exp(r) by its Taylor series to r^7 in Horner's form, seven multiply-adds:
  // the truncation, below |r|^8/8! < 6e-9 relative, is a tenth of an ulp.
  FloatVector exp_r = hn::Set(d, 1.0f / 5040);
  exp_r = hn::MulAdd(exp_r, r, hn::Set(d, 1.0f / 720));
  exp_r = hn::MulAdd(exp_r, r, hn::Set(d, 1.0f / 120));
  exp_r = hn::MulAdd(exp_r, r, hn::Set(d, 1.0f / 24));
  exp_r = hn::MulAdd(exp_r, r, hn::Set(d, 1.0f / 6));
  exp_r = hn::MulAdd(exp_r, r, hn::Set(d, 0.5f));
  exp_r = hn::MulAdd(exp_r, r, hn::Set(d, 1.0f));
  exp_r = hn::MulAdd(exp_r, r, hn::Set(d, 1.0f));
  const auto biased_exponent = hn::Add(hn::BitCast(d_int, shifted), hn::Set(d_int, 127 - kRoundingShiftBits));
  return hn::Mul(exp_r, hn::BitCast(d, hn::ShiftLeft<23>(biased_exponent)));
}

// expm1(y) for y <= 0.
HWY_INLINE FloatVector expm1_of_nonpositive(FloatVector y) {
  const FloatTag d;
  const hn::RebindToSigned<FloatTag> d_int;
  const FloatVector ln2_high = hn::Set(d, 0.693145751953125f);  // 16 significant bits: n·ln2_high is exact
  const FloatVector ln2_low = hn::Set(d, 1.428606765330187e-06f);
  const FloatVector clamped = hn::Max(hn::Set(d, -30.0f), y);  // expm1(−30) rounds to −1
  const FloatVector n = hn::Round(hn::Mul(clamped, hn::Set(d, 1.44269504088896341f)));
  const FloatVector r = hn::NegMulAdd(n, ln2_low, hn::NegMulAdd(n, ln2_high, clamped));
  const FloatVector expm1_r = hn::Mul(r, exp_series(r));
  const auto biased = hn::Add(hn::ConvertTo(d_int, n), hn::Set(d_int, 127));
  const FloatVector two_to_n = hn::BitCast(d, hn::ShiftLeft<23>(biased));
  return hn::MulAdd(two_to_n, expm1_r, hn::Sub(two_to_n, hn::Set(d, 1.0f)));
}

HWY_INLINE FloatVector tanh(FloatVector x) {
  const FloatTag d;
  const FloatVector m = expm1_of_nonpositive(hn::Mul(hn::Set(d, -2.0f), hn::Abs(x)));
  // m <= 0, so |m / (2 + m)| is tanh(|x|); x's sign then makes tanh(x), −0 included.
  const FloatVector result = hn::CopySignToAbs(hn::Abs(hn::Div(m, hn::Add(hn::Set(d, 2.0f), m))), x);
  // Whether Max lets a NaN through depends on the target; tanh(NaN) is NaN on all of them.
  return hn::IfThenElse(hn::IsNaN(x), x, result);
}

}  // namespace knnformer::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // include guard toggled per target
