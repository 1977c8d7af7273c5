#pragma once
// The paper's sampled estimators of attention and of its gradient (Haris,
// "kNN Attention Demystified", ICLR 2025; docs/design.md §5.6), as kernels on raw
// buffers. No autograd here: layers/attention/approximate_attention.cpp wraps
// them into ops.
//
// Layout: every matrix is [heads, T, d] contiguous (heads = B·H), samples are
// [heads, T, L] key positions drawn by draw_attention_samples
// (lazy_gumbel_sampler.h): samples[(h·T + i)·L + l] ~ A_i.
//
//   gumbel_output(shape, samples, L, v, mom_groups, o);              // `gumbel` forward
//   knn_tail_output(index, q, k, v, m, key, o);                      // `knn-tail` forward
//   sampled_attention_backward({...}, grads);                        // `sampled` backward
//
// Every kernel is parallel over queries (or keys), writes each output row
// from one work item in a fixed order, and draws any randomness from
// query_rng(key, stream, head, query): the results are the same bits for any
// thread count.
#include <cstdint>

#include "layers/attention/attention_options.h"
#include "layers/attention/index/key_index.h"
#include "layers/attention/sampling/lazy_gumbel_sampler.h"

namespace knnformer::attention {

struct AttentionShape {
  int64_t heads = 0;  // B·H
  int64_t time = 0;   // T
  int64_t dim = 0;    // d
};

// `gumbel` forward: ô_i = mean over the L samples of v_j, an unbiased
// estimate of o_i = Σ_j A_ij v_j. With mom_groups = g > 1 the L samples are
// split into g consecutive groups of L/g (L must be a multiple of g) and each
// coordinate of ô_i is the median of the g group means (the middle two
// averaged for even g): biased in general, but robust to heavy tails.
void gumbel_output(const AttentionShape& shape, const int32_t* samples, int64_t samples_per_query, const float* v,
                   int64_t mom_groups, float* out);

// `knn-tail` forward: with c the largest head score,
//   numerator   = Σ_{j∈N_i} e^{S_ij − c} v_j + w Σ_{j∈R_i} e^{S_ij − c} v_j,
//   denominator = Σ_{j∈N_i} e^{S_ij − c}     + w Σ_{j∈R_i} e^{S_ij − c},
// R_i = m members of the tail C_i \ N_i drawn uniformly without replacement
// (index.sample_tail), w = (|C_i| − |N_i|)/m, and ô_i = numerator/denominator.
// Both sums are unbiased, the ratio is consistent (exact once m covers the
// tail: then R_i is the whole tail and w = 1). Its m tail keys per query are
// a fixed cost, not lazy-Gumbel work, so it adds nothing to the sampling
// statistics: a knn-tail run's tail work is that of its sampled backward.
void knn_tail_output(const KeyIndex& index, const float* q, const float* k, const float* v, int64_t tail_samples,
                     const SamplingKey& key, float* out);

// The `sampled` backward (docs/design.md §5.6). With y_ij = dO_i·v_j and
// D_i = dO_i·o_i the exact gradient is, for each row's distribution A_i,
//   dQ_i = s E_{j~A_i}[(y_ij − D_i) k_j],
//   dK_j = s Σ_i A_ij (y_ij − D_i) q_i,   dV_j = Σ_i A_ij dO_i.
// Estimates, from the rows' samples j_i1..j_iL ~ A_i:
//   dQ_i ≈ (s/L) Σ_l c_il k_{j_il},
//   uniform starts:    dK_j ≈ (s/L) Σ_{i,l: j_il = j} c_il q_i,  dV_j ≈ (1/L) Σ_{i,l: j_il = j} dO_i,
// with c_il = y_{i,j_il} − D_i. D_i:
//   - exact, from `output` (o_i), when the caller has it (an exact or knn forward);
//   - otherwise leave-one-out: c_il = y_il − mean_{l'≠l} y_il'. That mean is
//     independent of j_il and unbiased for D_i, so each term stays unbiased;
//     algebraically c_il = L/(L−1)·(y_il − ȳ_i), the unbiased sample
//     covariance (the paper's E[(dO·v)k] − E[k]E[dO·v]). Needs L >= 2.
// Importance starts (dK and dV only; dQ is per row and keeps the uniform
// estimate): row i is the start of n_i fresh samples, n_i = ⌊λ_i⌋ or ⌈λ_i⌉
// at random with E[n_i] = λ_i = T·L·‖dO_i‖/Σ_r ‖dO_r‖, each weighted 1/λ_i
// instead of 1/L (unbiased: E[n_i]/λ_i = 1). Their D_i is exact or the mean of
// y over the row's L given samples, which are independent of the fresh ones
// (drawn from SampleStream::importance_samples, a stream of their own, even
// when the given samples are SampleStream::backward ones of the same key).
// Every estimate is unbiased for the exact gradient, given dO. (When the
// samples are the forward's, dO itself came from ô and so from the same
// samples; the estimate is then unbiased only given that dO, a dependence of
// order 1/L. Fresh samples, SampleStream::backward, avoid it.)
//
// dK and dV are scattered to keys deterministically: the sample list is
// transposed by key (a counting sort per head) and each key sums its entries
// in row order.
struct SampledBackward {
  AttentionShape shape;
  const float* q = nullptr;
  const float* k = nullptr;
  const float* v = nullptr;
  const float* grad_output = nullptr;  // dO
  const float* output = nullptr;       // the exact o, or null (then leave-one-out D_i)
  const int32_t* samples = nullptr;    // [heads, T, L], j ~ A_i
  int64_t samples_per_query = 0;       // L
  SampledStart start = SampledStart::uniform;
  // For importance starts only: where the fresh samples come from.
  const KeyIndex* index = nullptr;
  SamplingKey key;
};

// Adds the estimated gradients into grad_q, grad_k, grad_v ([heads, T, d]).
// Adds the work of the fresh samples (importance starts) to *statistics unless null.
void sampled_attention_backward(const SampledBackward& backward, float* grad_q, float* grad_k, float* grad_v,
                                SamplingStatistics* statistics = nullptr);

}  // namespace knnformer::attention
