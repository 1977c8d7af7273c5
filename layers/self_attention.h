#pragma once
// Causal multi-head self-attention: one Linear(C → 3C) gives q, k, v; with
// rotary positions q and k are turned by their positions (core/ops/rotary.h);
// the AttentionMode attends per head; Linear(C → C) projects the heads' outputs.
// Parameters "<name>.qkv.*" (rows: q, then k, then v) and "<name>.proj.*".
#include <memory>

#include "layers/attention/attention_mode.h"
#include "layers/linear.h"

namespace knnformer {

class SelfAttention {
 public:
  SelfAttention(int64_t width, int64_t heads, const AttentionOptions& options, bool rotary);
  // x [B, T, C] -> [B, T, C]
  Tensor forward(const Tensor& x, const AttentionCall& call) const;
  void collect(ParameterList& list, const std::string& name) const;

  int64_t heads;
  bool rotary;
  Linear qkv, proj;
  std::shared_ptr<const AttentionMode> mode;
};

}  // namespace knnformer
