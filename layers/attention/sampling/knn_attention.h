#pragma once
// kNN (top-k) attention, docs/design.md §5.4, mode `knn` (Roy et al. 2021; Gupta et
// al. 2021; the object of Haris 2025): each query attends, with a softmax,
// only to its head N_i — the k candidates of largest score its KeyIndex found:
//   a_ij = exp(S_ij − lse_i) for j ∈ N_i,  lse_i = log Σ_{j∈N_i} exp(S_ij),
//   o_i = Σ_{j∈N_i} a_ij v_j.
// Its exact gradient (backward mode `sparse`) flows through the weights a_ij
// to q and k, unlike the authors' prototype, which detached the top-k scores:
//   D_i = dO_i·o_i,  dS_ij = a_ij (dO_i·v_j − D_i)  for j ∈ N_i,
//   dV_j = Σ_i a_ij dO_i,  dQ_i = s Σ_j dS_ij k_j,  dK_j = s Σ_i dS_ij q_i.
// (The choice of N_i is piecewise constant in q and k, so it adds nothing.)
// These are raw-buffer kernels over all B·H heads of a call; the op that
// records them on the tape is approximate_attention().
#include "layers/attention/index/key_index.h"

namespace knnformer::attention {

// out [B·H, T, d] and log_sum_exp [B·H, T] from the index's heads and v.
void knn_forward(const KeyIndex& index, const float* v, float* out, float* log_sum_exp);

// Adds the sparse exact gradient into query_grad, key_grad, value_grad (each
// [B·H, T, d]); out and log_sum_exp are knn_forward's. Deterministic for any
// thread count: each key gathers its contributions in query order.
void knn_backward(const KeyIndex& index, const float* q, const float* k, const float* v, const float* out,
                  const float* log_sum_exp, const float* out_grad, float* query_grad, float* key_grad,
                  float* value_grad);

}  // namespace knnformer::attention
