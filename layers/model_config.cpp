#include "layers/model_config.h"

#include "core/error.h"

namespace knnformer {

namespace {
void require_positive(int64_t value, const char* name) {
  require(value >= 1, std::string("model config: ") + name + " must be at least 1, got " + std::to_string(value));
}
}  // namespace

void ModelConfig::validate() const {
  require_positive(vocab_size, "vocab_size");
  require_positive(n_layer, "n-layer");
  require_positive(n_head, "n-head");
  require_positive(n_embd, "n-embd");
  require_positive(context, "context");
  require(n_embd % n_head == 0, "model config: n-embd " + std::to_string(n_embd) + " is not divisible by n-head " +
                                    std::to_string(n_head));
  require(dropout >= 0.0f && dropout < 1.0f,
          "model config: dropout must be in [0, 1), got " + std::to_string(dropout));
  require(!rotary() || head_dim() % 2 == 0, "model config: positions = rope needs an even head dim (n-embd / n-head), "
                                            "got " + std::to_string(n_embd / n_head));
  knnformer::validate(attention);
}

std::string ModelConfig::to_string() const {
  return "n_layer=" + std::to_string(n_layer) + " n_head=" + std::to_string(n_head) + " n_embd=" +
         std::to_string(n_embd) + " context=" + std::to_string(context) + " vocab=" + std::to_string(vocab_size) +
         (rotary() ? " positions=rope" : "") + " attention: " + describe(attention, context, n_embd / n_head);
}

}  // namespace knnformer
