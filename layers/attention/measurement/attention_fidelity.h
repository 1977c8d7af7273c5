#pragma once
// Attention fidelity: how far a layer's configured attention (its forward
// mode with its backward mode) is from exact attention on the same q, k, v.
// `knnformer train --fidelity-every N` logs these figures for every layer
// (train/model_fidelity.h).
//
//   const AttentionFidelity f = measure_attention_fidelity(q, k, v, out_grad, options, call);
//   f.output_error       // ‖O − O_exact‖ / ‖O_exact‖
//   f.query_grad_error   // the same for dQ (dK, dV likewise); both backward
//                        // passes start from the same upstream gradient out_grad
//   f.recall             // the kNN index's recall@k
//   f.tail_work          // tail keys scored per lazy-Gumbel sample
//
// Both sides run forward and backward through autograd, on copies of q, k,
// v. The configured side draws the randomness of `call`: given the call that
// a forward recorded (attention_recorder.h), it draws what that forward drew.
//
// Exact mode is measured like the others rather than skipped: its
// configured side is exact attention, the same deterministic kernels as the
// reference, so its errors are exactly 0, its recall 1 and its tail work 0,
// a baseline that compare shows beside the approximate runs.
//
// recall: recall_at_k (key_index.h) of the index the call builds against the
// exact index with the same k; 1 where no index can miss a key (exact mode,
// and the exact index, which is the reference itself).
// tail_work: from the attention diagnostics (attention_diagnostics.h) of the
// configured forward and backward; 0 when nothing is sampled (knn with its
// sparse backward). Totals that other calls added and nobody has taken yet
// are kept.
//
// Needs gradient recording on (no NoGrad alive) and an empty autograd tape,
// since it runs backward itself; the tape is empty again when it returns.
// Throws Error otherwise, and on bad shapes or options.
#include <cstdint>

#include "core/tensor.h"
#include "layers/attention/attention_call.h"
#include "layers/attention/attention_options.h"

namespace knnformer::attention {

struct AttentionFidelity {
  double output_error = 0;      // relative L2 errors against exact attention
  double query_grad_error = 0;
  double key_grad_error = 0;
  double value_grad_error = 0;
  double recall = 1;            // recall@k of the kNN index
  double tail_work = 0;         // tail keys scored per lazy-Gumbel sample
};

// q, k, v, out_grad: [B, H, T, d], one shape.
AttentionFidelity measure_attention_fidelity(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& out_grad,
                                             const AttentionOptions& options, const AttentionCall& call);

// ‖value − reference‖ / ‖reference‖ over count floats, summed in double. A
// zero reference counts as norm 1e-30: the error stays finite.
double relative_l2_error(const float* value, const float* reference, int64_t count);

}  // namespace knnformer::attention
