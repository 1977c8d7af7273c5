#pragma once
// The shape of a GPT model, validated: every field in range and n_embd
// divisible by n_head, else an Error naming the field.
#include <cstdint>
#include <string>

#include "layers/attention/attention_options.h"

namespace knnformer {

struct ModelConfig {
  int64_t vocab_size = 256;
  int64_t n_layer = 4;
  int64_t n_head = 4;
  int64_t n_embd = 256;
  int64_t context = 256;  // T: the longest sequence the model reads
  float dropout = 0.0f;
  // How the model knows positions: "learned" (GPT-2: an embedding "wpe"
  // added to the tokens') or "rope" (rotary, core/ops/rotary.h: q and k
  // turned by their position in every attention layer; no wpe).
  std::string positions = "learned";
  AttentionOptions attention;

  int64_t head_dim() const { return n_embd / n_head; }
  void validate() const;
  // "n_layer=4 n_head=4 n_embd=256 context=256 vocab=256 [positions=rope] attention: ..."
  std::string to_string() const;
  bool rotary() const { return positions == "rope"; }
};

}  // namespace knnformer
