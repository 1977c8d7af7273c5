#pragma once
// GPT: a GPT-2 style decoder-only language model.
//
//   tokens [B, T] → token embedding "wte" + learned position embedding "wpe"
//   → dropout → n_layer Blocks "h.<i>" → final LayerNorm "ln_f"
//   → logits = x·wteᵀ (the LM head is tied to the token embedding)
//
// With positions = "rope" there is no wpe: every attention layer turns its
// q and k by their positions instead (core/ops/rotary.h).
//
// Initialisation (GPT-2): every weight N(0, 0.02), the residual output
// projections (attn.proj, mlp.proj) N(0, 0.02/sqrt(2·n_layer)), biases zero,
// LayerNorm scales one. The draws come from the counter RNG keyed by (seed,
// parameter index), so a model is a pure function of (config, seed).
//
// Parameter names, in order (checkpoints and the PyTorch parity test use them):
//   wte.weight [V, C], wpe.weight [T, C] (learned positions only), then per block i:
//   h.i.ln_1.{weight,bias} [C], h.i.attn.qkv.{weight [3C, C], bias [3C]},
//   h.i.attn.proj.{weight [C, C], bias [C]}, h.i.ln_2.{weight,bias} [C],
//   h.i.mlp.fc.{weight [4C, C], bias [4C]}, h.i.mlp.proj.{weight [C, 4C], bias [C]},
//   and ln_f.{weight,bias} [C].
#include <span>
#include <vector>

#include "layers/block.h"
#include "layers/model_config.h"

namespace knnformer {

// The keys and values of the tokens a model has read so far, per layer, so
// that generating a token costs one position's work instead of a whole
// forward pass. Made by GPT::make_cache; positions 0..length-1 are filled.
struct KvCache {
  int64_t length = 0;
  std::vector<std::vector<float>> keys, values;  // per layer: [n_head, context, head_dim]
};

class GPT {
 public:
  GPT(const ModelConfig& config, uint64_t seed);

  // Logits [B, T, V] for tokens given row by row (B·T ids, T <= context).
  Tensor forward(std::span<const int32_t> tokens, int64_t batch, int64_t time, const ForwardContext& context) const;
  // Mean cross-entropy of predicting targets (B·T ids) from tokens.
  Tensor loss(std::span<const int32_t> tokens, std::span<const int32_t> targets, int64_t batch, int64_t time,
              const ForwardContext& context) const;

  // Generation. An empty cache for this model; then the logits [V] of the
  // token after `token`, read at position cache.length (< context), whose
  // keys and values join the cache. No autograd, no dropout; attention is
  // exact softmax attention over the cached positions.
  KvCache make_cache() const;
  std::vector<float> next_token_logits(int32_t token, KvCache& cache) const;

  // The weight-decay rule: decay the matrices of the linear layers; not
  // biases, LayerNorm parameters or the embeddings (wte, wpe).
  static bool is_decayed(const NamedParameter& parameter);

  const ModelConfig& config() const { return config_; }
  const ParameterList& parameters() const { return parameters_; }
  int64_t parameter_count() const;

 private:
  void initialise(uint64_t seed);

  ModelConfig config_;
  Tensor wte, wpe;
  std::vector<Block> blocks_;
  LayerNorm ln_f_;
  ParameterList parameters_;
};

}  // namespace knnformer
