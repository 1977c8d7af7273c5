#include "layers/attention/attention_mode.h"

#include "layers/attention/approximate_attention.h"
#include "layers/attention/exact_attention.h"
#include "layers/attention/measurement/attention_recorder.h"

namespace knnformer {

namespace {

class ExactAttentionMode : public AttentionMode {
 public:
  explicit ExactAttentionMode(bool causal) : causal_(causal) {}

 private:
  Tensor compute(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionCall& call) const override {
    return attention::exact_attention(q, k, v, causal_, call.context.precision);
  }

  bool causal_;
};

class ApproximateAttentionMode : public AttentionMode {
 public:
  explicit ApproximateAttentionMode(const AttentionOptions& options) : options_(options) {}

 private:
  Tensor compute(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionCall& call) const override {
    return attention::approximate_attention(q, k, v, options_, call);
  }

  AttentionOptions options_;
};

}  // namespace

Tensor AttentionMode::attend(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionCall& call) const {
  attention::note_attention_inputs(q, k, v, call);
  return compute(q, k, v, call);
}

std::unique_ptr<AttentionMode> make_attention_mode(const AttentionOptions& options) {
  validate(options);
  if (options.mode == AttentionKind::exact) return std::make_unique<ExactAttentionMode>(options.causal);
  return std::make_unique<ApproximateAttentionMode>(options);
}

}  // namespace knnformer
