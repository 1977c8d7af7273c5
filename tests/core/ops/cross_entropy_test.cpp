#include "core/ops/cross_entropy.h"

#include <doctest/doctest.h>

#include <cmath>

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

TEST_CASE("cross_entropy op: bad targets and shapes are errors that name them") {
  const Tensor logits = Tensor::zeros({3, 11});
  const std::vector<int32_t> out_of_range{0, 1, 11};
  CHECK_THROWS_WITH_AS(ops::cross_entropy(logits, out_of_range),
                       "cross_entropy: target 11 of row 2 is outside the vocabulary [0, 11)", Error);
  const std::vector<int32_t> negative{0, -1, 2};
  CHECK_THROWS_WITH_AS(ops::cross_entropy(logits, negative),
                       "cross_entropy: target -1 of row 1 is outside the vocabulary [0, 11)", Error);
  const std::vector<int32_t> too_few{0, 1};
  CHECK_THROWS_WITH_AS(ops::cross_entropy(logits, too_few), "cross_entropy: 2 targets for logits of shape [3, 11]",
                       Error);
  CHECK_THROWS_AS(ops::cross_entropy(Tensor::zeros({2, 3, 11}), too_few), Error);
}
