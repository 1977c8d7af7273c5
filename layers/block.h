#pragma once
// A pre-LayerNorm transformer block (GPT-2):
//   x = x + dropout(attn(ln_1(x)));  x = x + dropout(mlp(ln_2(x)))
// Parameters "<name>.ln_1.*", "<name>.attn.*", "<name>.ln_2.*", "<name>.mlp.*".
#include "layers/layer_norm.h"
#include "layers/mlp.h"
#include "layers/self_attention.h"

namespace knnformer {

class Block {
 public:
  Block(int64_t width, int64_t heads, float dropout, const AttentionOptions& options, bool rotary);
  Tensor forward(const Tensor& x, const AttentionCall& call) const;
  void collect(ParameterList& list, const std::string& name) const;

  LayerNorm ln_1;
  SelfAttention attn;
  LayerNorm ln_2;
  Mlp mlp;
  float dropout;
};

}  // namespace knnformer
