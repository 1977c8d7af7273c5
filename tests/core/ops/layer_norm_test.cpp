#include "core/ops/layer_norm.h"

#include <doctest/doctest.h>

#include "gradient_check.h"

using namespace knnformer;
using testing::check_gradients;
using testing::random_input;

TEST_CASE("layer_norm op: each row comes out with mean 0 and variance 1") {
  const Tensor x = random_input({4, 3, 37}, 50, 5.0f);
  const Tensor weight = Tensor::full({37}, 1.0f), bias = Tensor::zeros({37});
  const Tensor y = ops::layer_norm(x, weight, bias);
  for (int64_t r = 0; r < 12; ++r) {
    const float* row = y.data() + r * 37;
    double mean = 0.0, variance = 0.0;
    for (int j = 0; j < 37; ++j) mean += row[j] / 37.0;
    for (int j = 0; j < 37; ++j) variance += (row[j] - mean) * (row[j] - mean) / 37.0;
    // Float rounding leaves |mean| at a few ulp of values of size 1; eps makes
    // the variance var/(var + eps), 1 − 4e-7 for var ≈ 25.
    CHECK(std::abs(mean) < 1e-6);
    CHECK(variance == doctest::Approx(1.0).epsilon(1e-5));
  }
  Tape::current().clear();
}

TEST_CASE("layer_norm op: backward against finite differences") {
  const Tensor x = random_input({3, 5, 7}, 51);
  const Tensor weight = random_input({7}, 52), bias = random_input({7}, 53);
  check_gradients([&] { return ops::layer_norm(x, weight, bias); }, {x, weight, bias});
  const Tensor wide = random_input({2, 19}, 54);
  const Tensor wide_weight = random_input({19}, 55), wide_bias = random_input({19}, 56);
  check_gradients([&] { return ops::layer_norm(wide, wide_weight, wide_bias); }, {wide, wide_weight, wide_bias});
}

TEST_CASE("layer_norm op: parameters of the wrong shape are errors naming the shapes") {
  const Tensor x = Tensor::zeros({2, 5});
  CHECK_THROWS_WITH_AS(ops::layer_norm(x, Tensor::zeros({4}), Tensor::zeros({5})),
                       "layer_norm: input of shape [2, 5] needs weight and bias of shape [5], got [4] and [5]", Error);
}
