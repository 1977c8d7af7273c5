#include "layers/attention/attention_mode.h"

#include "core/error.h"
#include "layers/attention/exact_attention.h"

namespace knnformer {

namespace {

// Exact causal softmax attention through the fused flash-style op.
class ExactAttentionMode : public AttentionMode {
 public:
  Tensor attend(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionCall&) const override {
    return attention::exact_attention(q, k, v, true);
  }
};

}  // namespace

void validate(const AttentionOptions& options) {
  require(options.mode == "exact", "unknown attention mode '" + options.mode + "' (expected: exact)");
}

std::unique_ptr<AttentionMode> make_attention_mode(const AttentionOptions& options) {
  validate(options);
  return std::make_unique<ExactAttentionMode>();
}

}  // namespace knnformer
