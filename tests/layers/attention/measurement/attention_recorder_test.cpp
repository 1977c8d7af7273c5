#include <doctest/doctest.h>

#include <vector>

#include "core/autograd.h"
#include "layers/attention/measurement/attention_recorder.h"
#include "layers/gpt.h"

using namespace knnformer;
using attention::RecordedAttention;

TEST_CASE("attention recorder: a forward pass's calls, one per layer in order, with their inputs and keys") {
  ModelConfig config;
  config.vocab_size = 20;
  config.n_layer = 3;
  config.n_head = 2;
  config.n_embd = 8;
  config.context = 6;
  const GPT model(config, 1);
  const std::vector<int32_t> tokens{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  const ForwardContext context{.seed = 9, .step = 4};
  const NoGrad inference;

  const std::vector<RecordedAttention> calls =
      attention::record_attention_inputs([&] { model.forward(tokens, 2, 5, context); });
  REQUIRE(calls.size() == 3);
  for (int layer = 0; layer < 3; ++layer) {
    CAPTURE(layer);
    CHECK(calls[layer].call.layer == layer);
    CHECK(calls[layer].call.context.seed == 9);
    CHECK(calls[layer].call.context.step == 4);
    for (const Tensor* input : {&calls[layer].q, &calls[layer].k, &calls[layer].v})
      CHECK(input->shape() == Shape{2, 2, 5, 4});
  }
  CHECK(!calls[0].q.same_as(calls[1].q));

  model.forward(tokens, 2, 5, context);  // outside a recording: nothing is kept anywhere
  CHECK(attention::record_attention_inputs([] {}).empty());
}
