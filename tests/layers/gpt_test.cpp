#include <doctest/doctest.h>

#include <cmath>
#include <set>

#include "core/error.h"
#include "layers/gpt.h"

using namespace knnformer;

namespace {
ModelConfig small_config() {
  return {.vocab_size = 50, .n_layer = 2, .n_head = 2, .n_embd = 16, .context = 12, .dropout = 0, .attention = {}};
}

double stddev_of(const Tensor& t) {
  double sum = 0, square = 0;
  for (int64_t i = 0; i < t.numel(); ++i) sum += t.data()[i], square += double(t.data()[i]) * t.data()[i];
  const double mean = sum / t.numel();
  return std::sqrt(square / t.numel() - mean * mean);
}
}  // namespace

TEST_CASE("GPT: parameter names, count and GPT-2 initialisation") {
  const GPT model(small_config(), 7);
  std::set<std::string> names;
  for (const auto& parameter : model.parameters()) names.insert(parameter.name);
  for (const char* name : {"wte.weight", "wpe.weight", "h.0.ln_1.weight", "h.1.attn.qkv.weight", "h.1.attn.qkv.bias",
                           "h.0.attn.proj.weight", "h.0.mlp.fc.weight", "h.1.mlp.proj.bias", "ln_f.bias"})
    CHECK(names.count(name) == 1);
  // 12 per block + wte, wpe, ln_f.{weight,bias}
  CHECK(model.parameters().size() == 2 * 12 + 4);
  const int64_t C = 16, V = 50, T = 12;
  const int64_t per_block = 2 * C + (3 * C * C + 3 * C) + (C * C + C) + 2 * C + (4 * C * C + 4 * C) + (4 * C * C + C);
  CHECK(model.parameter_count() == V * C + T * C + 2 * per_block + 2 * C);

  for (const auto& [name, tensor] : model.parameters()) {
    CAPTURE(name);
    if (name.find("bias") != std::string::npos) {
      CHECK(stddev_of(tensor) == 0.0);
    } else if (name.find("ln_") != std::string::npos) {
      CHECK(tensor.data()[0] == 1.0f);
    } else if (name.find("proj.weight") != std::string::npos) {
      CHECK(stddev_of(tensor) == doctest::Approx(0.02 / std::sqrt(4.0)).epsilon(0.15));
    } else {
      CHECK(stddev_of(tensor) == doctest::Approx(0.02).epsilon(0.15));
    }
  }
  // Same seed, same model; another seed, another.
  const GPT same(small_config(), 7), other(small_config(), 8);
  CHECK(same.parameters()[0].tensor.to_vector() == model.parameters()[0].tensor.to_vector());
  CHECK(other.parameters()[0].tensor.to_vector() != model.parameters()[0].tensor.to_vector());
}

TEST_CASE("GPT: a bad config is an error naming the field") {
  ModelConfig config = small_config();
  config.n_head = 3;
  CHECK_THROWS_WITH_AS(GPT(config, 1), "model config: n-embd 16 is not divisible by n-head 3", Error);
  config = small_config();
  config.n_layer = 0;
  CHECK_THROWS_WITH_AS(GPT(config, 1), "model config: n-layer must be at least 1, got 0", Error);
  config = small_config();
  config.attention.samples = 0;
  CHECK_THROWS_AS(GPT(config, 1), Error);
  const GPT model(small_config(), 1);
  const std::vector<int32_t> tokens(2 * 13, 0);
  CHECK_THROWS_AS(model.forward(tokens, 2, 13, {}), Error);  // T beyond the context
}
