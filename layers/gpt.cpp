#include "layers/gpt.h"

#include <algorithm>
#include <cmath>

#include "core/autograd.h"
#include "core/error.h"
#include "core/ops/cross_entropy.h"
#include "core/ops/dropout.h"
#include "core/ops/elementwise.h"
#include "core/ops/embedding.h"
#include "core/ops/matmul.h"
#include "core/ops/rotary.h"
#include "core/ops/shape_ops.h"

namespace knnformer {

namespace {

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

constexpr uint64_t kEmbeddingDropoutSite = 0;
constexpr float kInitStddev = 0.02f;

// One head of one new query against the cached keys and values 0..length-1:
// out = softmax(scale · q·k_j) · v, in double for the running sums.
void attend_cached(const float* q, const float* keys, const float* values, int64_t length, int64_t head_dim,
                   float* out) {
  const double scale = 1.0 / std::sqrt(static_cast<double>(head_dim));
  std::vector<double> scores(length);
  for (int64_t j = 0; j < length; ++j) {
    double dot = 0;
    for (int64_t c = 0; c < head_dim; ++c) dot += double(q[c]) * keys[j * head_dim + c];
    scores[j] = scale * dot;
  }
  const double max_score = *std::max_element(scores.begin(), scores.end());
  double total = 0;
  for (double& score : scores) total += (score = std::exp(score - max_score));
  std::vector<double> sum(head_dim, 0.0);
  for (int64_t j = 0; j < length; ++j)
    for (int64_t c = 0; c < head_dim; ++c) sum[c] += scores[j] * values[j * head_dim + c];
  for (int64_t c = 0; c < head_dim; ++c) out[c] = static_cast<float>(sum[c] / total);
}

}  // namespace

GPT::GPT(const ModelConfig& config, uint64_t seed)
    : config_((config.validate(), config)),
      wte(Tensor::parameter({config.vocab_size, config.n_embd})),
      wpe(config.rotary() ? Tensor() : Tensor::parameter({config.context, config.n_embd})),
      ln_f_(config.n_embd) {
  blocks_.reserve(config.n_layer);
  for (int64_t i = 0; i < config.n_layer; ++i)
    blocks_.emplace_back(config.n_embd, config.n_head, config.dropout, config.attention, config.rotary());
  parameters_.push_back({"wte.weight", wte});
  if (!config.rotary()) parameters_.push_back({"wpe.weight", wpe});
  for (int64_t i = 0; i < config.n_layer; ++i) blocks_[i].collect(parameters_, "h." + std::to_string(i));
  ln_f_.collect(parameters_, "ln_f");
  initialise(seed);
}

void GPT::initialise(uint64_t seed) {
  const float residual_stddev = kInitStddev / std::sqrt(2.0f * static_cast<float>(config_.n_layer));
  for (size_t index = 0; index < parameters_.size(); ++index) {
    const auto& [name, tensor] = parameters_[index];
    if (!ends_with(name, ".weight") || name.starts_with("ln_f") || name.find(".ln_") != std::string::npos) continue;
    const bool residual_projection = ends_with(name, "attn.proj.weight") || ends_with(name, "mlp.proj.weight");
    fill_normal(tensor, residual_projection ? residual_stddev : kInitStddev, seed, index);
  }
}

bool GPT::is_decayed(const NamedParameter& parameter) {
  return parameter.tensor.rank() == 2 && parameter.name != "wte.weight" && parameter.name != "wpe.weight";
}

int64_t GPT::parameter_count() const {
  int64_t count = 0;
  for (const auto& parameter : parameters_) count += parameter.tensor.numel();
  return count;
}

Tensor GPT::forward(std::span<const int32_t> tokens, int64_t batch, int64_t time,
                    const ForwardContext& context) const {
  require(time >= 1 && time <= config_.context,
          "GPT: sequence length " + std::to_string(time) + " outside [1, context=" + std::to_string(config_.context) +
              "]");
  require(static_cast<int64_t>(tokens.size()) == batch * time,
          "GPT: " + std::to_string(tokens.size()) + " tokens for a batch of " + std::to_string(batch) + "×" +
              std::to_string(time));
  const int64_t width = config_.n_embd;
  Tensor x = ops::embedding(wte, tokens, {batch, time, width});
  if (!config_.rotary()) {
    std::vector<int32_t> positions(batch * time);
    for (int64_t i = 0; i < batch * time; ++i) positions[i] = static_cast<int32_t>(i % time);
    x = ops::add(x, ops::embedding(wpe, positions, {batch, time, width}));
  }
  x = ops::dropout(x, config_.dropout, context.training, context.seed,
                   {context.step, context.micro_step, kEmbeddingDropoutSite});
  for (size_t i = 0; i < blocks_.size(); ++i) x = blocks_[i].forward(x, {context, static_cast<int>(i)});
  return ops::linear(ln_f_.forward(x), wte, Tensor(), context.precision);
}

Tensor GPT::loss(std::span<const int32_t> tokens, std::span<const int32_t> targets, int64_t batch, int64_t time,
                 const ForwardContext& context) const {
  const Tensor logits = forward(tokens, batch, time, context);
  return ops::cross_entropy(ops::reshape(logits, {batch * time, config_.vocab_size}), targets);
}

KvCache GPT::make_cache() const {
  const auto per_layer = static_cast<size_t>(config_.n_head * config_.context * config_.head_dim());
  KvCache cache;
  cache.keys.assign(config_.n_layer, std::vector<float>(per_layer));
  cache.values.assign(config_.n_layer, std::vector<float>(per_layer));
  return cache;
}

std::vector<float> GPT::next_token_logits(int32_t token, KvCache& cache) const {
  const int64_t position = cache.length;
  require(position < config_.context, "GPT: the cache is full (context=" + std::to_string(config_.context) + ")");
  require(token >= 0 && token < config_.vocab_size,
          "GPT: token " + std::to_string(token) + " outside the vocabulary [0, " + std::to_string(config_.vocab_size) +
              ")");
  const NoGrad inference;
  const int64_t width = config_.n_embd, heads = config_.n_head, head_dim = config_.head_dim();
  Tensor x = Tensor::empty({1, width});
  for (int64_t c = 0; c < width; ++c)
    x.data()[c] = wte.data()[token * width + c] + (config_.rotary() ? 0.0f : wpe.data()[position * width + c]);

  for (size_t layer = 0; layer < blocks_.size(); ++layer) {
    const Block& block = blocks_[layer];
    Tensor packed = block.attn.qkv.forward(block.ln_1.forward(x));  // [1, 3C]: q, k, v
    float* qkv = packed.data();
    // With rotary positions the heads' q and k (2·heads rows) are turned in
    // place, so that the cache holds keys as attention sees them.
    if (config_.rotary()) ops::rotate_at_position(qkv, 2 * heads, head_dim, position);
    const Tensor attended = Tensor::empty({1, width});
    for (int64_t h = 0; h < heads; ++h) {
      float* keys = cache.keys[layer].data() + h * config_.context * head_dim;
      float* values = cache.values[layer].data() + h * config_.context * head_dim;
      std::copy_n(qkv + width + h * head_dim, head_dim, keys + position * head_dim);
      std::copy_n(qkv + 2 * width + h * head_dim, head_dim, values + position * head_dim);
      attend_cached(qkv + h * head_dim, keys, values, position + 1, head_dim, attended.data() + h * head_dim);
    }
    x = ops::add(x, block.attn.proj.forward(attended));
    x = ops::add(x, block.mlp.forward(block.ln_2.forward(x)));
  }
  ++cache.length;
  return ops::linear(ln_f_.forward(x), wte, Tensor()).to_vector();
}

}  // namespace knnformer
