#pragma once
// Recording what the attention calls of a forward pass saw: each layer's
// actual q, k, v, without the model exposing its layers. The fidelity
// diagnostics (attention_fidelity.h, train/model_fidelity.h) compare each
// layer's configured attention with exact attention on these inputs.
//
//   const std::vector<RecordedAttention> calls = record_attention_inputs([&] {
//     model.forward(tokens, batch, time, context);
//   });
//   calls[i].q, calls[i].k, calls[i].v   // [B, H, T, d]
//   calls[i].call.layer                  // and the call's RNG key (context)
//
// Every AttentionMode::attend on this thread while `work` runs is recorded,
// in call order; other threads are not affected. The tensors are the call's
// inputs themselves, not copies: they live where the forward allocated them
// (a step's arena, say), so drop them before that arena is reset.
#include <functional>
#include <vector>

#include "core/tensor.h"
#include "layers/attention/attention_call.h"

namespace knnformer::attention {

struct RecordedAttention {
  Tensor q, k, v;
  AttentionCall call;
};

std::vector<RecordedAttention> record_attention_inputs(const std::function<void()>& work);

// For AttentionMode::attend: hands the call to the recording in progress on
// this thread, if any.
void note_attention_inputs(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionCall& call);

}  // namespace knnformer::attention
