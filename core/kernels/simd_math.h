#pragma once
// AVX2 vector arithmetic, used by the kernels of layers/attention that are
// not yet on Highway (gumbel_kernels.cpp): exp, tanh, horizontal
// reductions, and the walk over a row 8 lanes at a time whose last few
// (n % 8) elements are loaded and stored masked. The kernels of core/kernels
// use their Highway counterparts (vector_math-inl.h, lanes-inl.h).
//
// KNNFORMER_SIMD_AVX2 is defined when the compiler may emit AVX2 and FMA (the
// default build uses -march=native). A kernel using this header then takes
// its vector path; otherwise it runs its scalar reference and nothing in
// this header exists.
//
//   const __m256 e = simd::exp(_mm256_sub_ps(x, row_max));
//
// exp(x). Write x = n·ln2 + r with n = round(x / ln2), so |r| <= ln2/2 and
// exp(x) = 2^n · exp(r). r is x − n·ln2 in two FMA steps, with ln2 split into
// a part whose product with n is exact and a small correction, so r keeps
// full precision even for |x| near 88. exp(r) = 1 + r·q(r) with q the Taylor
// polynomial Σ_{k=0..7} r^k/(k+1)!; its truncation error is below
// |r|^8/9! < 6e-10 relative, far under float's ulp (6e-8), so what remains is
// the rounding of Horner's steps: within 1 ulp of the exact value over the
// whole range (0.85 ulp at worst in the tests' sweep). 2^n is applied by
// adding n to the exponent bits of exp(r).
// Range: +inf above 88.72283 (just under ln FLT_MAX = 88.722839), 0 below
// −87.33654 (ln FLT_MIN: results that would be denormal are flushed to 0),
// NaN stays NaN.
//
// tanh(x) = −m / (2 + m) with m = expm1(−2|x|), carrying the sign of x. Unlike
// 1 − 2/(e^{2x} + 1) this does not cancel for small |x|: expm1 has full
// relative precision near 0 (there it is exactly r·q(r)), so tanh is accurate
// to a few ulp everywhere (2.5 ulp at worst in the tests' sweep), and
// tanh(±0) = ±0.
#if defined(__AVX2__) && defined(__FMA__)
#define KNNFORMER_SIMD_AVX2 1

#include <immintrin.h>

#include <cstdint>

namespace knnformer::kernels::simd {

inline constexpr int kLanes = 8;

// q(r) = Σ_{k=0..7} r^k / (k+1)!, so that exp(r) = 1 + r·q(r) and expm1(r) = r·q(r).
inline __m256 exp_series(__m256 r) {
  __m256 q = _mm256_set1_ps(1.0f / 40320);  // 1/8!
  q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(1.0f / 5040));
  q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(1.0f / 720));
  q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(1.0f / 120));
  q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(1.0f / 24));
  q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(1.0f / 6));
  q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(0.5f));
  return _mm256_fmadd_ps(q, r, _mm256_set1_ps(1.0f));
}

// Splits x into n = round(x / ln2) (returned as a float) and r = x − n·ln2.
inline __m256 reduce_by_ln2(__m256 x, __m256* r) {
  const __m256 ln2_high = _mm256_set1_ps(0.693145751953125f);  // 16 significant bits: n·ln2_high is exact
  const __m256 ln2_low = _mm256_set1_ps(1.428606765330187e-06f);
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  *r = _mm256_fnmadd_ps(n, ln2_low, _mm256_fnmadd_ps(n, ln2_high, x));
  return n;
}

inline __m256 exp(__m256 x) {
  // Clamping keeps n in [−127, 128]; min/max with x second let NaN through.
  const __m256 clamped = _mm256_max_ps(_mm256_set1_ps(-88.0f), _mm256_min_ps(_mm256_set1_ps(88.8f), x));
  __m256 r;
  const __m256 n = reduce_by_ln2(clamped, &r);
  const __m256 exp_r = _mm256_fmadd_ps(r, exp_series(r), _mm256_set1_ps(1.0f));
  const __m256i exponent_shift = _mm256_slli_epi32(_mm256_cvtps_epi32(n), 23);
  const __m256 scaled = _mm256_castsi256_ps(_mm256_add_epi32(_mm256_castps_si256(exp_r), exponent_shift));
  const __m256 overflow = _mm256_cmp_ps(x, _mm256_set1_ps(88.72283f), _CMP_GT_OQ);
  const __m256 underflow = _mm256_cmp_ps(x, _mm256_set1_ps(-87.33654f), _CMP_LT_OQ);
  const __m256 bounded = _mm256_blendv_ps(scaled, _mm256_set1_ps(__builtin_inff()), overflow);
  return _mm256_andnot_ps(underflow, bounded);
}

// expm1(y) for y <= 0: 2^n·expm1(r) + (2^n − 1), exact in its n = 0 part.
inline __m256 expm1_of_nonpositive(__m256 y) {
  const __m256 clamped = _mm256_max_ps(_mm256_set1_ps(-30.0f), y);  // expm1(−30) rounds to −1
  __m256 r;
  const __m256 n = reduce_by_ln2(clamped, &r);
  const __m256 expm1_r = _mm256_mul_ps(r, exp_series(r));
  const __m256i biased = _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127));
  const __m256 two_to_n = _mm256_castsi256_ps(_mm256_slli_epi32(biased, 23));
  return _mm256_fmadd_ps(two_to_n, expm1_r, _mm256_sub_ps(two_to_n, _mm256_set1_ps(1.0f)));
}

inline __m256 tanh(__m256 x) {
  const __m256 sign_bit = _mm256_set1_ps(-0.0f);
  const __m256 magnitude = _mm256_andnot_ps(sign_bit, x);
  const __m256 m = expm1_of_nonpositive(_mm256_mul_ps(_mm256_set1_ps(-2.0f), magnitude));
  // m <= 0, so |m / (2 + m)| is tanh(|x|); clearing the sign bit also turns a −0 into +0.
  const __m256 tanh_of_magnitude = _mm256_andnot_ps(sign_bit, _mm256_div_ps(m, _mm256_add_ps(_mm256_set1_ps(2.0f), m)));
  return _mm256_or_ps(tanh_of_magnitude, _mm256_and_ps(sign_bit, x));
}

inline float reduce_add(__m256 v) {
  __m128 sum = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  sum = _mm_add_ps(sum, _mm_movehl_ps(sum, sum));
  sum = _mm_add_ss(sum, _mm_movehdup_ps(sum));
  return _mm_cvtss_f32(sum);
}

inline float reduce_max(__m256 v) {
  __m128 best = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  best = _mm_max_ps(best, _mm_movehl_ps(best, best));
  best = _mm_max_ss(best, _mm_movehdup_ps(best));
  return _mm_cvtss_f32(best);
}

// Lanes [0, count) set, for count in [0, 8].
inline __m256i first_lanes(int64_t count) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(count)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// The first count (< 8) elements at p; the other lanes hold fill. Reads nothing past p + count.
inline __m256 load_first(const float* p, int64_t count, float fill = 0.0f) {
  const __m256i mask = first_lanes(count);
  return _mm256_blendv_ps(_mm256_set1_ps(fill), _mm256_maskload_ps(p, mask), _mm256_castsi256_ps(mask));
}

inline void store_first(float* p, int64_t count, __m256 v) { _mm256_maskstore_ps(p, first_lanes(count), v); }

// A group of 8 lanes at some position of a row: all of them, or the row's last few.
struct AllLanes {
  __m256 load(const float* p, float /*fill*/ = 0.0f) const { return _mm256_loadu_ps(p); }
  void store(float* p, __m256 v) const { _mm256_storeu_ps(p, v); }
};
struct FirstLanes {
  int64_t count;  // < 8
  __m256 load(const float* p, float fill = 0.0f) const { return load_first(p, count, fill); }
  void store(float* p, __m256 v) const { store_first(p, count, v); }
};

// Calls body(i, lanes) for i = 0, 8, 16, ... < n, where lanes (AllLanes or
// FirstLanes) loads and stores the elements [i, min(i + 8, n)); a row of any
// length then goes through one body, full vectors and masked tail alike.
template <class Body>
void for_each_lane_group(int64_t n, Body&& body) {
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) body(i, AllLanes{});
  if (i < n) body(i, FirstLanes{n - i});
}

}  // namespace knnformer::kernels::simd

#endif
