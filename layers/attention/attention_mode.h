#pragma once
// AttentionMode: how a self-attention layer turns q, k, v into its output.
//
// The model calls attend() and knows nothing else of the mode, so exact,
// kNN and sampled attention plug in here without touching the model code.
// Every mode takes q, k, v of shape [B, H, T, d] and returns [B, H, T, d],
// records its own backward on the tape, and draws any randomness from the
// counter RNG keyed by the call's (seed, step, micro_step, layer).
#include <memory>

#include "core/tensor.h"
#include "layers/attention/attention_call.h"
#include "layers/attention/attention_options.h"

namespace knnformer {

class AttentionMode {
 public:
  virtual ~AttentionMode() = default;
  // Runs the mode. A record_attention_inputs() in progress on this thread
  // (attention_recorder.h) sees q, k, v and the call first, whatever the mode.
  Tensor attend(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionCall& call) const;

 private:
  virtual Tensor compute(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionCall& call) const = 0;
};

// The mode the options name; bad options are an Error naming the option
// (validate, attention_options.h).
std::unique_ptr<AttentionMode> make_attention_mode(const AttentionOptions& options);

}  // namespace knnformer
