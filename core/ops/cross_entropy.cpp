#include "core/ops/cross_entropy.h"

#include <vector>

#include "core/autograd.h"
#include "core/error.h"
#include "core/kernels/cross_entropy.h"
#include "core/kernels/reduction.h"

namespace knnformer::ops {

namespace {

// loss = (1/N) Σ_r loss_r, so dlogits_r = (softmax_r − onehot(t_r)) · dloss / N.
struct CrossEntropyNode : Node {
  CrossEntropyNode(Tensor logits_, std::vector<int32_t> targets_, Tensor log_sum_exp_, Tensor loss_)
      : logits(std::move(logits_)), targets(std::move(targets_)), log_sum_exp(std::move(log_sum_exp_)),
        loss(std::move(loss_)) {}
  void backward() override {
    if (!loss.has_grad()) return;
    const int64_t rows = logits.size(0), vocab = logits.size(1);
    kernels::cross_entropy_backward(logits.data(), targets.data(), log_sum_exp.data(), loss.grad()[0] / rows,
                                    logits.grad(), rows, vocab);
  }
  std::string_view name() const override { return "cross_entropy"; }
  Tensor logits;
  std::vector<int32_t> targets;
  Tensor log_sum_exp, loss;
};

void require_valid(const Tensor& logits, std::span<const int32_t> targets) {
  require(logits.rank() == 2 && logits.size(0) > 0,
          "cross_entropy: logits must be [N, V] with N > 0, got shape " + logits.shape().to_string());
  const int64_t rows = logits.size(0), vocab = logits.size(1);
  require(static_cast<int64_t>(targets.size()) == rows,
          "cross_entropy: " + std::to_string(targets.size()) + " targets for logits of shape " +
              logits.shape().to_string());
  for (int64_t r = 0; r < rows; ++r)
    require(targets[r] >= 0 && targets[r] < vocab,
            "cross_entropy: target " + std::to_string(targets[r]) + " of row " + std::to_string(r) +
                " is outside the vocabulary [0, " + std::to_string(vocab) + ")");
}

}  // namespace

Tensor cross_entropy(const Tensor& logits, std::span<const int32_t> targets) {
  require_valid(logits, targets);
  const int64_t rows = logits.size(0), vocab = logits.size(1);
  Tensor losses = Tensor::empty({rows}), log_sum_exp = Tensor::empty({rows});
  kernels::cross_entropy_forward(logits.data(), targets.data(), losses.data(), log_sum_exp.data(), rows, vocab);
  Tensor loss = Tensor::full(Shape{}, kernels::sum(losses.data(), rows) / static_cast<float>(rows));
  if (needs_grad({&logits}))
    record<CrossEntropyNode>(loss, logits, std::vector<int32_t>(targets.begin(), targets.end()), log_sum_exp, loss);
  return loss;
}

}  // namespace knnformer::ops
