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
//   const int64_t j = gumbel_kernels::first_sum_above(sums, n, target);  // draws by running sums
//
// Each has a plain scalar reference in gumbel_kernels::reference (always
// compiled; the tests compare the two) and an AVX2 path when that is compiled
// in (core/kernels/simd_math.h), AVX-512 for first_sum_above where available.
// The vector exp is within 1 ulp of the scalar one; dot and add_scaled round
// differently (FMA, 8 partial sums); first_sum_above gives the same index.
#include <cstdint>

namespace knnformer::attention::gumbel_kernels {

float dot(const float* a, const float* b, int64_t count);
void add_scaled(float alpha, const float* x, float* y, int64_t count);  // y += alpha·x
void exp_shifted(const float* x, int64_t count, float shift, float* out);  // out = exp(x − shift)

// For running sums (non-decreasing, count >= 1): the index of the first one
// above target, or count − 1 when none is (a target that rounding left at the
// total). A uniform target in [0, total) so draws index j with probability
// (sums[j] − sums[j − 1])/total. The samplers search at random targets, per
// sample: bisection steps without branches narrow long arrays to 64 sums,
// which are then counted 8 at a time, with no chain of dependent loads.
int64_t first_sum_above(const double* sums, int64_t count, double target);

// Asks the cache for a row of count floats that is about to be read (a
// sampled key's row: random positions in a matrix too large for the cache).
inline void prefetch(const float* row, int64_t count) {
  for (int64_t c = 0; c < count; c += 16) __builtin_prefetch(row + c);  // 16 floats: one 64-byte line
}

namespace reference {
float dot(const float* a, const float* b, int64_t count);
void add_scaled(float alpha, const float* x, float* y, int64_t count);
void exp_shifted(const float* x, int64_t count, float shift, float* out);
int64_t first_sum_above(const double* sums, int64_t count, double target);
}  // namespace reference

}  // namespace knnformer::attention::gumbel_kernels
