#pragma once
// A pre-LayerNorm transformer block (GPT-2):
//   x = x + dropout(attn(ln_1(x)));  x = x + dropout(mlp(ln_2(x)))
// Parameters "<name>.ln_1.*", "<name>.attn.*", "<name>.ln_2.*", "<name>.mlp.*".
//
// Each residual add is one op with the layer norm that reads its result
// (ops::add_layer_norm): the first with ln_2, the second with the norm that
// comes next — the next block's ln_1, or the model's final one. So a block
// takes the stream x together with ln_1(x), and returns the new stream
// together with next_norm of it:
//
//   ops::ResidualNorm stream{x, blocks[0].ln_1.forward(x)};
//   stream = blocks[0].forward(stream, blocks[1].ln_1, call);   // stream.normalized = blocks[1].ln_1(stream.sum)
#include "layers/layer_norm.h"
#include "layers/mlp.h"
#include "layers/self_attention.h"

namespace knnformer {

class Block {
 public:
  Block(int64_t width, int64_t heads, float dropout, const AttentionOptions& options, bool rotary);
  ops::ResidualNorm forward(const ops::ResidualNorm& stream, const LayerNorm& next_norm,
                            const AttentionCall& call) const;
  void collect(ParameterList& list, const std::string& name) const;

  LayerNorm ln_1;
  SelfAttention attn;
  LayerNorm ln_2;
  Mlp mlp;
  float dropout;
};

}  // namespace knnformer
