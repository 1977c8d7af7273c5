#include "core/ops/cross_entropy.h"

#include <doctest/doctest.h>

#include <cmath>

#include "core/kernels/cross_entropy.h"
#include "core/kernels/reduction.h"
#include "gradient_check.h"

using namespace knnformer;
using testing::check_gradients;
using testing::random_input;

TEST_CASE("cross_entropy op: uniform logits cost log V") {
  for (const int64_t vocab : {int64_t{1}, int64_t{7}, int64_t{256}, int64_t{50304}}) {
    const Tensor logits = Tensor::full({3, vocab}, 0.25f);
    const std::vector<int32_t> targets{0, static_cast<int32_t>(vocab - 1), static_cast<int32_t>(vocab / 2)};
    CHECK(ops::cross_entropy(logits, targets).item() == doctest::Approx(std::log(double(vocab))).epsilon(1e-6));
  }
}

TEST_CASE("cross_entropy op: backward against finite differences") {
  const Tensor logits = random_input({6, 11}, 70, 2.0f);
  const std::vector<int32_t> targets{0, 10, 3, 3, 7, 5};
  check_gradients([&] { return ops::cross_entropy(logits, targets); }, {logits});
}

TEST_CASE("cross_entropy op: the gradient is (softmax − onehot)/N") {
  const Tensor logits = Tensor::parameter({2, 4});  // zero logits: softmax = ¼ everywhere
  const std::vector<int32_t> targets{1, 3};
  backward(ops::cross_entropy(logits, targets));
  const std::vector<float> expected{0.125f, -0.375f, 0.125f, 0.125f, 0.125f, 0.125f, 0.125f, -0.375f};
  CHECK(std::vector<float>(logits.grad(), logits.grad() + 8) == expected);
}

TEST_CASE("cross_entropy op: without ignored targets, the kernels' mean over all rows to the bit") {
  const Tensor logits = random_input({5, 13}, 71, 2.0f);
  const std::vector<int32_t> targets{12, 0, 4, 4, 9};
  std::vector<float> losses(5), lse(5), dlogits(5 * 13, 0.0f);
  kernels::cross_entropy_forward(logits.data(), targets.data(), losses.data(), lse.data(), 5, 13);
  kernels::cross_entropy_backward(logits.data(), targets.data(), lse.data(), 1.0f / 5, dlogits.data(), 5, 13);
  const Tensor loss = ops::cross_entropy(logits, targets);
  CHECK(loss.item() == kernels::sum(losses.data(), 5) / 5.0f);
  backward(loss);
  CHECK(std::vector<float>(logits.grad(), logits.grad() + 5 * 13) == dlogits);
}

TEST_CASE("cross_entropy op: ignored targets leave the mean over the counted rows") {
  const Tensor logits = random_input({6, 11}, 72, 2.0f);
  const std::vector<int32_t> targets{0, ops::kIgnoredTarget, 3, ops::kIgnoredTarget, ops::kIgnoredTarget, 10};
  double total = 0.0;
  for (const int64_t r : {0, 2, 5}) {
    const float* x = logits.data() + r * 11;
    double sum_exp = 0.0;
    for (int64_t j = 0; j < 11; ++j) sum_exp += std::exp(double(x[j]));
    total += std::log(sum_exp) - x[targets[r]];
  }
  CHECK(ops::cross_entropy(logits, targets).item() == doctest::Approx(total / 3).epsilon(1e-6));
}

TEST_CASE("cross_entropy op: backward with ignored targets against finite differences") {
  const Tensor logits = random_input({6, 11}, 73, 2.0f);
  const std::vector<int32_t> targets{ops::kIgnoredTarget, 10, 3, ops::kIgnoredTarget, 7, ops::kIgnoredTarget};
  check_gradients([&] { return ops::cross_entropy(logits, targets); }, {logits});
}

TEST_CASE("cross_entropy op: an ignored row's gradient is zero, the counted ones' (softmax − onehot)/count") {
  const Tensor logits = Tensor::parameter({3, 4});  // zero logits: softmax = ¼ everywhere
  const std::vector<int32_t> targets{1, ops::kIgnoredTarget, 3};
  backward(ops::cross_entropy(logits, targets));
  const std::vector<float> expected{0.125f, -0.375f, 0.125f, 0.125f, 0.0f,   0.0f,
                                    0.0f,   0.0f,    0.125f, 0.125f, 0.125f, -0.375f};
  CHECK(std::vector<float>(logits.grad(), logits.grad() + 12) == expected);
}

TEST_CASE("cross_entropy op: when no row counts, the loss is 0 and the gradient zero") {
  const Tensor logits = random_input({3, 5}, 74, 2.0f);
  const std::vector<int32_t> targets(3, ops::kIgnoredTarget);
  const Tensor loss = ops::cross_entropy(logits, targets);
  CHECK(loss.item() == 0.0f);
  backward(loss);
  CHECK(std::vector<float>(logits.grad(), logits.grad() + 15) == std::vector<float>(15, 0.0f));
}

TEST_CASE("cross_entropy op: bad targets and shapes are errors that name them") {
  const Tensor logits = Tensor::zeros({3, 11});
  const std::vector<int32_t> out_of_range{0, 1, 11};
  CHECK_THROWS_WITH_AS(ops::cross_entropy(logits, out_of_range),
                       "cross_entropy: target 11 of row 2 is outside the vocabulary [0, 11) and not the ignored "
                       "target -1",
                       Error);
  const std::vector<int32_t> negative{0, -2, 2};
  CHECK_THROWS_WITH_AS(ops::cross_entropy(logits, negative),
                       "cross_entropy: target -2 of row 1 is outside the vocabulary [0, 11) and not the ignored "
                       "target -1",
                       Error);
  const std::vector<int32_t> too_few{0, 1};
  CHECK_THROWS_WITH_AS(ops::cross_entropy(logits, too_few), "cross_entropy: 2 targets for logits of shape [3, 11]",
                       Error);
  CHECK_THROWS_AS(ops::cross_entropy(Tensor::zeros({2, 3, 11}), too_few), Error);
}
