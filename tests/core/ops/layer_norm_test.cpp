#include "core/ops/layer_norm.h"

#include <doctest/doctest.h>

#include "core/ops/elementwise.h"
#include "core/ops/reduction.h"
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

// The fused op against the two it replaces, in a graph where the sum has a
// reader of its own besides the norm (as the residual stream does), and in
// one where only the normalised output is read (the last block's).
TEST_CASE("add_layer_norm op: the values and gradients of add then layer_norm, bit for bit") {
  const Tensor a = random_input({3, 4, 37}, 57), b = random_input({3, 4, 37}, 58);
  const Tensor weight = random_input({37}, 59), bias = random_input({37}, 60);
  const Tensor read_normalized = random_input({3, 4, 37}, 61), read_sum = random_input({3, 4, 37}, 62);
  for (const bool sum_read : {true, false}) {
    CAPTURE(sum_read);
    const auto run = [&](bool fused) {
      for (const Tensor* t : {&a, &b, &weight, &bias}) t->zero_grad();
      ops::ResidualNorm result;
      if (fused) {
        result = ops::add_layer_norm(a, b, weight, bias);
      } else {
        result.sum = ops::add(a, b);
        result.normalized = ops::layer_norm(result.sum, weight, bias);
      }
      Tensor loss = ops::sum(ops::mul(result.normalized, read_normalized));
      if (sum_read) loss = ops::add(loss, ops::sum(ops::mul(result.sum, read_sum)));
      backward(loss);
      std::vector<std::vector<float>> all{result.sum.to_vector(), result.normalized.to_vector()};
      for (const Tensor* t : {&a, &b, &weight, &bias}) all.push_back(t->grad_tensor().to_vector());
      return all;
    };
    CHECK(run(true) == run(false));
  }
}

TEST_CASE("add_layer_norm op: backward against finite differences, the same tensor added to itself included") {
  const Tensor a = random_input({3, 7}, 63), b = random_input({3, 7}, 64);
  const Tensor weight = random_input({7}, 65), bias = random_input({7}, 66);
  const auto both_outputs = [&](const Tensor& first, const Tensor& second) {
    const ops::ResidualNorm result = ops::add_layer_norm(first, second, weight, bias);
    return ops::add(result.normalized, ops::scale(result.sum, 0.5f));
  };
  check_gradients([&] { return both_outputs(a, b); }, {a, b, weight, bias});
  check_gradients([&] { return both_outputs(a, a); }, {a, weight, bias});
  check_gradients([&] { return ops::add_layer_norm(a, b, weight, bias).normalized; }, {a, b, weight, bias});
}

TEST_CASE("add_layer_norm op: addends or parameters of the wrong shape are errors naming the shapes") {
  const Tensor x = Tensor::zeros({2, 5});
  CHECK_THROWS_WITH_AS(ops::add_layer_norm(x, Tensor::zeros({5, 2}), Tensor::zeros({5}), Tensor::zeros({5})),
                       "add_layer_norm: shapes [2, 5] and [5, 2] differ", Error);
  CHECK_THROWS_WITH_AS(ops::add_layer_norm(x, x, Tensor::zeros({5}), Tensor::zeros({4})),
                       "add_layer_norm: input of shape [2, 5] needs weight and bias of shape [5], got [5] and [4]",
                       Error);
}
