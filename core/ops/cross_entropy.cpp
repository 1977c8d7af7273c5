#include "core/ops/cross_entropy.h"

#include <algorithm>
#include <vector>

#include "core/autograd.h"
#include "core/error.h"
#include "core/kernels/cross_entropy.h"
#include "core/kernels/reduction.h"

namespace knnformer::ops {

namespace {

// loss = (1/M) Σ_r loss_r over the M counted rows, so dlogits_r = (softmax_r − onehot(t_r)) · dloss / M
// for a counted row; an ignored row's gradient is zero, and the kernel adds nothing for it.
struct CrossEntropyNode : Node {
  CrossEntropyNode(Tensor logits_, std::vector<int32_t> targets_, int64_t counted_, Tensor log_sum_exp_,
                   Tensor loss_)
      : logits(std::move(logits_)), targets(std::move(targets_)), counted(counted_),
        log_sum_exp(std::move(log_sum_exp_)), loss(std::move(loss_)) {}
  void backward() override {
    if (!loss.has_grad() || counted == 0) return;
    const int64_t rows = logits.size(0), vocab = logits.size(1);
    kernels::cross_entropy_backward(logits.data(), targets.data(), log_sum_exp.data(), loss.grad()[0] / counted,
                                    logits.grad(), rows, vocab);
  }
  std::string_view name() const override { return "cross_entropy"; }
  Tensor logits;
  std::vector<int32_t> targets;
  int64_t counted;
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
    require((targets[r] >= 0 && targets[r] < vocab) || targets[r] == kIgnoredTarget,
            "cross_entropy: target " + std::to_string(targets[r]) + " of row " + std::to_string(r) +
                " is outside the vocabulary [0, " + std::to_string(vocab) + ") and not the ignored target " +
                std::to_string(kIgnoredTarget));
}

int64_t counted_rows(std::span<const int32_t> targets) {
  return std::ranges::count_if(targets, [](int32_t target) { return target != kIgnoredTarget; });
}

// The sum over all rows is the sum over the counted ones, since an ignored row's loss is 0.
float mean_over_counted(const Tensor& losses, int64_t counted) {
  if (counted == 0) return 0.0f;
  return kernels::sum(losses.data(), losses.numel()) / static_cast<float>(counted);
}

}  // namespace

Tensor cross_entropy(const Tensor& logits, std::span<const int32_t> targets) {
  require_valid(logits, targets);
  const int64_t rows = logits.size(0), vocab = logits.size(1);
  Tensor losses = Tensor::empty({rows}), log_sum_exp = Tensor::empty({rows});
  kernels::cross_entropy_forward(logits.data(), targets.data(), losses.data(), log_sum_exp.data(), rows, vocab);
  const int64_t counted = counted_rows(targets);
  Tensor loss = Tensor::full(Shape{}, mean_over_counted(losses, counted));
  if (needs_grad({&logits}))
    record<CrossEntropyNode>(loss, logits, std::vector<int32_t>(targets.begin(), targets.end()), counted,
                             log_sum_exp, loss);
  return loss;
}

}  // namespace knnformer::ops
