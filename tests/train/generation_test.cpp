#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "core/autograd.h"
#include "train/generation.h"
#include "train_test_files.h"

using namespace knnformer;

namespace {

ModelConfig small_model(PositionEncoding positions = PositionEncoding::learned) {
  return {.vocab_size = 40, .n_layer = 2, .n_head = 2, .n_embd = 16, .context = 12, .dropout = 0,
          .positions = positions, .attention = {}};
}

}  // namespace

TEST_CASE("generation: the KV cache gives the logits of a full forward pass, with learned or rotary positions") {
  for (const PositionEncoding positions : {PositionEncoding::learned, PositionEncoding::rope}) {
    CAPTURE(name_of(positions));
    const GPT model(small_model(positions), 3);
    // Initial weights give near-uniform attention, which no position could
    // change; larger q and k make the scores, and so the positions, matter.
    for (const auto& [name, tensor] : model.parameters())
      if (name.ends_with("attn.qkv.weight"))
        for (int64_t i = 0; i < tensor.numel(); ++i) tensor.data()[i] *= 40.0f;
    const std::vector<int32_t> tokens = {1, 7, 3, 39, 0, 12, 5, 5, 8, 20};
    const int64_t time = static_cast<int64_t>(tokens.size());
    std::vector<float> full;
    {
      const NoGrad inference;
      full = model.forward(tokens, 1, time, {}).to_vector();  // [1, T, V]
    }
    KvCache cache = model.make_cache();
    for (int64_t t = 0; t < time; ++t) {
      const std::vector<float> logits = model.next_token_logits(tokens[t], cache);
      REQUIRE(logits.size() == 40);
      for (int64_t v = 0; v < 40; ++v) CHECK(logits[v] == doctest::Approx(full[t * 40 + v]).epsilon(1e-4));
    }
    CHECK(cache.length == time);
  }
}

TEST_CASE("generation: temperature 0 and top-k 1 pick the likeliest token; a seed fixes the draws") {
  const std::vector<float> logits = {0.1f, 2.0f, -1.0f, 1.9f};
  CounterRng rng(1, {0});
  CHECK(sample_token(logits, {.temperature = 0.0, .top_k = 0, .seed = 1}, rng) == 1);
  CHECK(sample_token(logits, {.temperature = 5.0, .top_k = 1, .seed = 1}, rng) == 1);
  int counts[4] = {};
  for (uint64_t i = 0; i < 2000; ++i) {
    CounterRng draw(9, {i});
    ++counts[sample_token(logits, {.temperature = 1.0, .top_k = 2, .seed = 9}, draw)];
  }
  CHECK(counts[0] == 0);
  CHECK(counts[2] == 0);
  CHECK(counts[1] > counts[3]);  // e^2.0 : e^1.9 ≈ 52 : 48
  CHECK(counts[3] > 800);
}

TEST_CASE("generation: past the context the cache is rebuilt, and a seed gives the same text") {
  const GPT model(small_model(), 3);
  const std::vector<int32_t> prompt = {1, 2, 3};
  const SamplingOptions options{.temperature = 1.0, .top_k = 10, .seed = 42};
  std::vector<int32_t> streamed;
  const std::vector<int32_t> text = generate(model, prompt, 30, options, [&](int32_t t) { streamed.push_back(t); });
  CHECK(text.size() == 30);
  CHECK(streamed == text);
  CHECK(generate(model, prompt, 30, options, [](int32_t) {}) == text);
}
