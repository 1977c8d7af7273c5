#pragma once
// The small vector kernels under lazy Gumbel sampling and the sampled
// estimators (layers/attention/sampling/lazy_gumbel_sampler.h, sampled_estimators.h).
// They work on one row of d values or one query's head of k scores, and are
// called per sample inside parallel loops, so they never open a parallel
// region of their own.
//
//   const float score = scale * kernels::sampling::dot(q_i, k_j, d);
//   kernels::sampling::add_scaled(weight, k_j, dq_i, d);            // dq_i += weight·k_j
//   kernels::sampling::exp_shifted(scores, k, shift, weights);      // weights = exp(scores − shift)
//   kernels::sampling::prefetch(v_j, d);                            // v_j is read soon
//   const int64_t j = kernels::sampling::first_sum_above(sums, n, target);  // draws by running sums
//
// knnformer::kernels::sampling runs the vector code of the best SIMD target
// the CPU has (core/kernels/simd_target.h): exp is Highway's, within 1 ulp
// of the scalar one; dot and add_scaled round differently (fused
// multiply-adds, one partial sum per lane); first_sum_above gives the same
// index. knnformer::kernels::sampling::reference holds the scalar loops.
#include <cstdint>

namespace knnformer::kernels::sampling {

float dot(const float* a, const float* b, int64_t count);
void add_scaled(float alpha, const float* x, float* y, int64_t count);  // y += alpha·x
void exp_shifted(const float* x, int64_t count, float shift, float* out);  // out = exp(x − shift)
// y += alpha·x with x in float and y in double: the weighted sums of value
// rows that knn-tail accumulates in double (sampled_estimators.h).
void add_scaled_to_double(double alpha, const float* x, double* y, int64_t count);

// For running sums (non-decreasing, count >= 1): the index of the first one
// above target, or count − 1 when none is (a target that rounding left at the
// total). A uniform target in [0, total) so draws index j with probability
// (sums[j] − sums[j − 1])/total. The samplers search at random targets, per
// sample: bisection steps without branches narrow long arrays to 64 sums,
// which are then counted a vector at a time, with no chain of dependent loads.
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
void add_scaled_to_double(double alpha, const float* x, double* y, int64_t count);
int64_t first_sum_above(const double* sums, int64_t count, double target);
}  // namespace reference

}  // namespace knnformer::kernels::sampling
