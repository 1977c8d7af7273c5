#include "layers/attention/measurement/attention_fidelity.h"

#include <algorithm>
#include <cmath>

#include "core/autograd.h"
#include "core/error.h"
#include "layers/attention/approximate_attention.h"
#include "layers/attention/attention_mode.h"
#include "layers/attention/exact_attention.h"
#include "layers/attention/index/key_index.h"
#include "layers/attention/index/key_index_factory.h"
#include "layers/attention/measurement/attention_diagnostics.h"

namespace knnformer::attention {

namespace {

// One side of the comparison: its output, and its inputs holding their gradients.
struct Pass {
  Tensor out, q, k, v;
};

// Runs attend on copies of q, k, v that require grad, then backward from out_grad.
template <class Attend>
Pass forward_and_backward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& out_grad, Attend&& attend) {
  Pass pass{.out = Tensor(), .q = q.clone(), .k = k.clone(), .v = v.clone()};
  for (Tensor* input : {&pass.q, &pass.k, &pass.v}) input->set_requires_grad(true);
  pass.out = attend(pass.q, pass.k, pass.v);
  std::copy_n(out_grad.data(), pass.out.numel(), pass.out.grad());
  Tape::current().run_backward();
  return pass;
}

double index_recall(const Tensor& q, const Tensor& k, const AttentionOptions& options, const AttentionCall& call) {
  if (options.mode == AttentionKind::exact || options.knn_index == KeyIndexKind::exact) return 1.0;
  const KeyIndexOptions configured = key_index_options(options, q.shape(), call);
  KeyIndexOptions exact = configured;
  exact.kind = KeyIndexKind::exact;
  return recall_at_k(*build_key_index(configured, q, k, options.causal),
                     *build_key_index(exact, q, k, options.causal));
}

}  // namespace

AttentionFidelity measure_attention_fidelity(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& out_grad,
                                             const AttentionOptions& options, const AttentionCall& call) {
  require(grad_enabled(), "measure_attention_fidelity: needs gradient recording on (it runs under a NoGrad)");
  require(Tape::current().size() == 0, "measure_attention_fidelity: needs an empty autograd tape");
  require(out_grad.shape() == q.shape(), "measure_attention_fidelity: out_grad must have q's shape " +
                                             q.shape().to_string() + ", got " + out_grad.shape().to_string());
  const std::unique_ptr<AttentionMode> mode = make_attention_mode(options);

  const auto configured_attention = [&](const Tensor& query, const Tensor& key, const Tensor& value) {
    return mode->attend(query, key, value, call);
  };
  const auto exact_reference = [&](const Tensor& query, const Tensor& key, const Tensor& value) {
    return exact_attention(query, key, value, options.causal);
  };

  const AttentionDiagnostics pending = take_attention_diagnostics();
  const Pass configured = forward_and_backward(q, k, v, out_grad, configured_attention);
  const AttentionDiagnostics sampled = take_attention_diagnostics();
  add_attention_diagnostics(pending);
  const Pass exact = forward_and_backward(q, k, v, out_grad, exact_reference);
  const int64_t count = q.numel();
  return {.output_error = relative_l2_error(configured.out.data(), exact.out.data(), count),
          .query_grad_error = relative_l2_error(configured.q.grad(), exact.q.grad(), count),
          .key_grad_error = relative_l2_error(configured.k.grad(), exact.k.grad(), count),
          .value_grad_error = relative_l2_error(configured.v.grad(), exact.v.grad(), count),
          .recall = index_recall(q, k, options, call),
          .tail_work = sampled.tail_members_per_sample()};
}

double relative_l2_error(const float* value, const float* reference, int64_t count) {
  double difference = 0, norm = 0;
  for (int64_t i = 0; i < count; ++i) {
    const double gap = double(value[i]) - double(reference[i]);
    difference += gap * gap;
    norm += double(reference[i]) * double(reference[i]);
  }
  return std::sqrt(difference) / std::max(std::sqrt(norm), 1e-30);
}

}  // namespace knnformer::attention
