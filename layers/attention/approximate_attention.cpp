#include "layers/attention/approximate_attention.h"

#include <memory>
#include <vector>

#include "core/autograd.h"
#include "core/error.h"
#include "core/large_buffer.h"
#include "layers/attention/exact_attention.h"
#include "layers/attention/index/key_index.h"
#include "layers/attention/index/key_index_factory.h"
#include "layers/attention/measurement/attention_diagnostics.h"
#include "layers/attention/sampling/knn_attention.h"
#include "layers/attention/sampling/lazy_gumbel_sampler.h"
#include "layers/attention/sampling/sampled_estimators.h"

namespace knnformer::attention {

namespace {

void check_shapes(const Tensor& q, const Tensor& k, const Tensor& v) {
  const Shape& shape = q.shape();
  require(shape.rank() == 4 && shape[2] >= 1 && shape[3] >= 1,
          "attention: need q of shape [B, H, T, d] with T, d >= 1, got " + shape.to_string());
  require(k.shape() == shape && v.shape() == shape,
          "attention: q, k, v must share one shape, got " + shape.to_string() + ", " + k.shape().to_string() + ", " +
              v.shape().to_string());
}

// Everything a call's forward and backward share.
struct Call {
  AttentionOptions options;
  AttentionShape shape;
  SamplingKey key;
  std::shared_ptr<const KeyIndex> index;
};

SamplingKey sampling_key(const AttentionCall& call) {
  const ForwardContext& context = call.context;
  return {context.seed, context.step, context.micro_step, static_cast<uint64_t>(call.layer)};
}

Call prepare_call(const Tensor& q, const Tensor& k, const AttentionOptions& options, const AttentionCall& call) {
  const TimedPhase timed(&AttentionTimes::index);
  const Shape& shape = q.shape();
  return {options, {shape[0] * shape[1], shape[2], shape[3]}, sampling_key(call),
          build_key_index(key_index_options(options, shape, call), q, k, options.causal)};
}

AttentionDiagnostics diagnostics_of(const KeyIndex& index, const SamplingStatistics& sampling) {
  const IndexStatistics searched = index.statistics();
  return {.calls = 1,
          .queries = searched.queries,
          .candidates = searched.candidates,
          .keys_scored = searched.keys_scored,
          .samples = sampling.samples,
          .tail_members = sampling.tail_members,
          .times = {}};
}

struct ApproximateAttentionNode : Node {
  ApproximateAttentionNode(Tensor q_, Tensor k_, Tensor v_, Tensor out_, Call call_, LargeVector<int32_t> samples_,
                           Tensor knn_log_sum_exp_)
      : q(std::move(q_)), k(std::move(k_)), v(std::move(v_)), out(std::move(out_)), call(std::move(call_)),
        samples(std::move(samples_)), knn_log_sum_exp(std::move(knn_log_sum_exp_)) {}

  void backward() override {
    if (!out.has_grad()) return;
    const TimedPhase timed(&AttentionTimes::backward);
    switch (call.options.effective_backward()) {
      case BackwardMode::exact:
        add_exact_attention_gradient(q, k, v, out.grad(), call.options.causal, q.grad(), k.grad(), v.grad());
        return;
      case BackwardMode::sparse: sparse_backward(); return;
      case BackwardMode::sampled:
      case BackwardMode::automatic: sampled_backward(); return;  // effective_backward() is never automatic
    }
  }

  // The exact gradient of knn attention, with its output and log-sum-exp
  // recomputed when the forward mode was another.
  void sparse_backward() {
    const KeyIndex& index = *call.index;
    Tensor knn_out = out;
    Tensor log_sum_exp = knn_log_sum_exp;
    if (!log_sum_exp.defined()) {
      knn_out = Tensor::empty(q.shape());
      log_sum_exp = Tensor::empty({call.shape.heads, call.shape.time});
      knn_forward(index, v.data(), knn_out.data(), log_sum_exp.data());
    }
    knn_backward(index, q.data(), k.data(), v.data(), knn_out.data(), log_sum_exp.data(), out.grad(), q.grad(),
                 k.grad(), v.grad());
  }

  void sampled_backward() {
    const int64_t per_query = call.options.samples;
    SamplingStatistics statistics;
    if (samples.empty()) {
      samples.resize(call.shape.heads * call.shape.time * per_query);
      draw_attention_samples(*call.index, q.data(), k.data(), per_query, call.key, SampleStream::backward,
                             samples.data(), &statistics);
    }
    const SampledBackward backward{.shape = call.shape,
                                   .q = q.data(),
                                   .k = k.data(),
                                   .v = v.data(),
                                   .grad_output = out.grad(),
                                   .output = nullptr,  // out is approximate: D_i by leave-one-out
                                   .samples = samples.data(),
                                   .samples_per_query = per_query,
                                   .start = call.options.sampled_start,
                                   .index = call.index.get(),
                                   .key = call.key};
    sampled_attention_backward(backward, q.grad(), k.grad(), v.grad(), &statistics);
    add_attention_diagnostics({.samples = statistics.samples, .tail_members = statistics.tail_members, .times = {}});
  }

  std::string_view name() const override { return "approximate_attention"; }

  Tensor q, k, v, out;
  Call call;
  LargeVector<int32_t> samples;  // the forward's samples (gumbel), else empty
  Tensor knn_log_sum_exp;        // the forward's (knn), else undefined
};

}  // namespace

KeyIndexOptions key_index_options(const AttentionOptions& options, const Shape& shape, const AttentionCall& call) {
  const SamplingKey key = sampling_key(call);
  return {.kind = options.knn_index,
          .k = choose_knn_k(options, shape[2], shape[3]),
          .clusters = options.clusters,
          .probes = options.probes,
          .seed = mix64(key.seed ^ mix64(key.step ^ mix64(key.micro_step ^ mix64(key.layer)))),
          // Whatever samples from the tail: gumbel and knn-tail forwards, sampled backwards.
          .tight_tail = options.draws_samples()};
}

Tensor approximate_attention(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionOptions& options,
                             const AttentionCall& attention_call) {
  check_shapes(q, k, v);
  validate(options);
  require(options.mode != AttentionKind::exact, "approximate_attention: mode 'exact' is exact_attention's");
  Call call = prepare_call(q, k, options, attention_call);
  const KeyIndex& index = *call.index;
  const AttentionShape& shape = call.shape;

  Tensor out = Tensor::empty(q.shape());
  LargeVector<int32_t> samples;
  Tensor knn_log_sum_exp;
  SamplingStatistics statistics;
  if (options.mode == AttentionKind::knn) {
    const TimedPhase timed(&AttentionTimes::output);
    knn_log_sum_exp = Tensor::empty({shape.heads, shape.time});
    knn_forward(index, v.data(), out.data(), knn_log_sum_exp.data());
  } else if (options.mode == AttentionKind::gumbel) {
    samples.resize(shape.heads * shape.time * options.samples);
    {
      const TimedPhase timed(&AttentionTimes::sampling);
      draw_attention_samples(index, q.data(), k.data(), options.samples, call.key, SampleStream::forward,
                             samples.data(), &statistics);
    }
    const TimedPhase timed(&AttentionTimes::output);
    gumbel_output(shape, samples.data(), options.samples, v.data(), options.mom_groups, out.data());
  } else {
    const TimedPhase timed(&AttentionTimes::output);
    knn_tail_output(index, q.data(), k.data(), v.data(), options.samples, call.key, out.data());
  }
  add_attention_diagnostics(diagnostics_of(index, statistics));

  if (needs_grad({&q, &k, &v}))
    record<ApproximateAttentionNode>(out, q, k, v, out, std::move(call), std::move(samples),
                                     std::move(knn_log_sum_exp));
  return out;
}

}  // namespace knnformer::attention
