#pragma once
// Generation: text from a trained model, one sampled token at a time.
//
//   const SamplingOptions sampling{.temperature = 0.8, .top_k = 40, .seed = 7};
//   generate(model, prompt_ids, 500, sampling, [&](int32_t token) { ... });
//
// Each token is drawn from softmax(logits / temperature) restricted to the
// top_k most likely tokens (top_k 0: all of them); temperature 0 picks the
// most likely token. Token i is drawn with CounterRng keyed by (seed, i), so
// a seed always gives the same text.
//
// The model reads the prompt and its own output through a KV cache
// (GPT::next_token_logits). When the text outgrows the context, the cache is
// rebuilt from the last context/2 tokens, so the model keeps conditioning on
// between half and all of its context window.
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "core/rng.h"
#include "layers/gpt.h"

namespace knnformer {

struct SamplingOptions {
  double temperature = 1.0;
  int64_t top_k = 0;
  uint64_t seed = 0;
};

// One token drawn from logits as the options say.
int32_t sample_token(std::span<const float> logits, const SamplingOptions& options, CounterRng& rng);

// Appends `count` tokens to a non-empty prompt, calling on_token with each as
// it is drawn; returns the tokens drawn.
std::vector<int32_t> generate(const GPT& model, std::span<const int32_t> prompt, int64_t count,
                              const SamplingOptions& options, const std::function<void(int32_t)>& on_token);

}  // namespace knnformer
