#pragma once
// The approximate attention modes of docs/design.md §5.3 as one op with autograd:
// build a KeyIndex (exact or clustered) over the call's keys, run the forward
// mode, and record a node whose backward runs the chosen backward mode.
//
//   forward   knn       softmax over each query's top-k head (knn_attention.h)
//             gumbel    mean (or median of means) of v over L lazy Gumbel
//                       samples j ~ A_i (lazy_gumbel_sampler.h)
//             knn-tail  exact head sums plus a reweighted uniform tail
//   backward  sparse    the exact gradient of knn attention (for gumbel and
//                       knn-tail a straight-through choice)
//             sampled   the paper's estimators from L samples j ~ A_i: the
//                       forward's own when it drew them (gumbel), fresh ones
//                       otherwise (sampled_estimators.h)
//             exact     the exact attention gradient, recomputed
//
// Randomness is keyed by the call's (seed, step, micro_step, layer), so a
// step is reproducible and a resumed run redraws the same samples. Each call
// adds what it did to the attention diagnostics (attention_diagnostics.h).
#include "core/tensor.h"
#include "layers/attention/attention_call.h"
#include "layers/attention/attention_options.h"
#include "layers/attention/index/key_index.h"

namespace knnformer::attention {

// q, k, v: [B, H, T, d] with one shape; returns [B, H, T, d]. Throws Error
// on bad shapes or options.
Tensor approximate_attention(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionOptions& options,
                             const AttentionCall& call);

// The options of the KeyIndex that a call with q of this shape ([B, H, T, d])
// builds: its kind, k = choose_knn_k(T, d), a k-means seed from the call's
// key, and a near tier in the exact index whenever the call samples its tail.
KeyIndexOptions key_index_options(const AttentionOptions& options, const Shape& shape, const AttentionCall& call);

}  // namespace knnformer::attention
