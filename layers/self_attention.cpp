#include "layers/self_attention.h"

#include "core/ops/rotary.h"
#include "core/ops/shape_ops.h"

namespace knnformer {

SelfAttention::SelfAttention(int64_t width, int64_t heads_, const AttentionOptions& options, bool rotary_)
    : heads(heads_), rotary(rotary_), qkv(width, 3 * width), proj(width, width), mode(make_attention_mode(options)) {}

Tensor SelfAttention::forward(const Tensor& x, const AttentionCall& call) const {
  const Precision precision = call.context.precision;
  const auto [q, k, v] = ops::split_qkv_heads(qkv.forward(x, precision), heads);
  const Tensor attended = rotary ? mode->attend(ops::rotary_embedding(q), ops::rotary_embedding(k), v, call)
                                 : mode->attend(q, k, v, call);
  return proj.forward(ops::merge_heads(attended), precision);
}

void SelfAttention::collect(ParameterList& list, const std::string& name) const {
  qkv.collect(list, name + ".qkv");
  proj.collect(list, name + ".proj");
}

}  // namespace knnformer
