#pragma once
// The shape of a GPT model, validated: every field in range and n_embd
// divisible by n_head, else an Error naming the field.
#include <array>
#include <cstdint>
#include <string>

#include "core/enum_names.h"
#include "layers/attention/attention_options.h"

namespace knnformer {

// How the model knows positions.
enum class PositionEncoding {
  learned,  // GPT-2: an embedding "wpe" added to the tokens'
  rope,     // rotary (core/ops/rotary.h): q and k turned by their position in every attention layer; no wpe
};
constexpr std::array<EnumName<PositionEncoding>, 2> kPositionEncodingNames{
    {{PositionEncoding::learned, "learned"}, {PositionEncoding::rope, "rope"}}};
constexpr const auto& enum_names(PositionEncoding) { return kPositionEncodingNames; }

struct ModelConfig {
  int64_t vocab_size = 256;
  int64_t n_layer = 4;
  int64_t n_head = 4;
  int64_t n_embd = 256;
  int64_t context = 256;  // T: the longest sequence the model reads
  float dropout = 0.0f;
  PositionEncoding positions = PositionEncoding::learned;
  AttentionOptions attention;

  int64_t head_dim() const { return n_embd / n_head; }
  void validate() const;
  // "n_layer=4 n_head=4 n_embd=256 context=256 vocab=256 [positions=rope] attention: ..."
  std::string to_string() const;
  bool rotary() const { return positions == PositionEncoding::rope; }
};

}  // namespace knnformer
