#pragma once
// The small vector kernels under lazy Gumbel sampling and the sampled
// estimators (lazy_gumbel_sampler.h, sampled_estimators.h). They work on one
// row of d values or one query's head of k scores, and are called per sample
// inside parallel loops, so they never open a parallel region of their own.
//
//   const float score = scale * gumbel_kernels::dot(q_i, k_j, d);
//   gumbel_kernels::add_scaled(weight, k_j, dq_i, d);            // dq_i += weight·k_j
//   gumbel_kernels::exp_shifted(scores, k, shift, weights);      // weights = exp(scores − shift)
//   gumbel_kernels::prefetch(v_j, d);                            // v_j is read soon
//
// Each has a plain scalar reference in gumbel_kernels::reference (always
// compiled; the tests compare the two) and an AVX2 path when that is compiled
// in (core/kernels/simd_math.h). The vector exp is within 1 ulp of the scalar
// one; dot and add_scaled round differently (FMA, 8 partial sums).
#include <cstdint>

namespace knnformer::attention::gumbel_kernels {

float dot(const float* a, const float* b, int64_t count);
void add_scaled(float alpha, const float* x, float* y, int64_t count);  // y += alpha·x
void exp_shifted(const float* x, int64_t count, float shift, float* out);  // out = exp(x − shift)

// Asks the cache for a row of count floats that is about to be read (a
// sampled key's row: random positions in a matrix too large for the cache).
inline void prefetch(const float* row, int64_t count) {
  for (int64_t c = 0; c < count; c += 16) __builtin_prefetch(row + c);  // 16 floats: one 64-byte line
}

namespace reference {
float dot(const float* a, const float* b, int64_t count);
void add_scaled(float alpha, const float* x, float* y, int64_t count);
void exp_shifted(const float* x, int64_t count, float shift, float* out);
}  // namespace reference

}  // namespace knnformer::attention::gumbel_kernels
