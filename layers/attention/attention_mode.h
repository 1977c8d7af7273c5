#pragma once
// AttentionMode: how a self-attention layer turns q, k, v into its output.
//
// The model calls attend() and knows nothing else of the mode, so exact,
// kNN and sampled attention plug in here without touching the model code.
// Every mode takes q, k, v of shape [B, H, T, d] and returns [B, H, T, d],
// records its own backward on the tape, and draws any randomness from the
// counter RNG keyed by the call's (seed, step, micro_step, layer).
#include <memory>
#include <string>

#include "core/tensor.h"
#include "layers/forward_context.h"

namespace knnformer {

// The attention part of a model's configuration (DESIGN.md section 4).
struct AttentionOptions {
  std::string mode = "exact";
};

struct AttentionCall {
  ForwardContext context;
  int layer = 0;
};

class AttentionMode {
 public:
  virtual ~AttentionMode() = default;
  virtual Tensor attend(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionCall& call) const = 0;
};

// The mode the options name; an unknown name is an Error listing the known ones.
std::unique_ptr<AttentionMode> make_attention_mode(const AttentionOptions& options);

// Checks the options as make_attention_mode would, without building anything.
void validate(const AttentionOptions& options);

}  // namespace knnformer
