#include "layers/block.h"

#include "core/ops/dropout.h"
#include "core/ops/elementwise.h"

namespace knnformer {

namespace {

// The residual branches' dropout sites, part of each mask's RNG key.
enum DropoutSite : uint64_t { kAttentionOutput = 1, kMlpOutput = 2 };

Tensor residual_dropout(const Tensor& x, float p, const AttentionCall& call, DropoutSite site) {
  const ForwardContext& context = call.context;
  return ops::dropout(x, p, context.training, context.seed,
                      {context.step, context.micro_step, static_cast<uint64_t>(call.layer), site});
}

}  // namespace

Block::Block(int64_t width, int64_t heads, float dropout_, const AttentionOptions& options, bool rotary)
    : ln_1(width), attn(width, heads, options, rotary), ln_2(width), mlp(width), dropout(dropout_) {}

Tensor Block::forward(const Tensor& x, const AttentionCall& call) const {
  const Tensor attended = ops::add(x, residual_dropout(attn.forward(ln_1.forward(x), call), dropout, call,
                                                       kAttentionOutput));
  const Tensor mlp_output = mlp.forward(ln_2.forward(attended), call.context.precision);
  return ops::add(attended, residual_dropout(mlp_output, dropout, call, kMlpOutput));
}

void Block::collect(ParameterList& list, const std::string& name) const {
  ln_1.collect(list, name + ".ln_1");
  attn.collect(list, name + ".attn");
  ln_2.collect(list, name + ".ln_2");
  mlp.collect(list, name + ".mlp");
}

}  // namespace knnformer
