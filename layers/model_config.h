#pragma once
// The shape of a GPT model, validated: every field in range and n_embd
// divisible by n_head, else an Error naming the field.
#include <cstdint>
#include <string>

#include "layers/attention/attention_mode.h"

namespace knnformer {

struct ModelConfig {
  int64_t vocab_size = 256;
  int64_t n_layer = 4;
  int64_t n_head = 4;
  int64_t n_embd = 256;
  int64_t context = 256;  // T: the longest sequence the position embedding covers
  float dropout = 0.0f;
  AttentionOptions attention;

  int64_t head_dim() const { return n_embd / n_head; }
  void validate() const;
  std::string to_string() const;  // "n_layer=4 n_head=4 n_embd=256 context=256 vocab=256"
};

}  // namespace knnformer
