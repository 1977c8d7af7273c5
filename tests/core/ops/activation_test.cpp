#include "core/ops/activation.h"

#include <doctest/doctest.h>

#include <cmath>
#include <numbers>

#include "gradient_check.h"

using namespace knnformer;
using testing::check_gradients;
using testing::random_input;

TEST_CASE("gelu op: exact values") {
  const Tensor x = Tensor::from_vector({5}, std::vector<float>{0.0f, 1.0f, -1.0f, 30.0f, -30.0f});
  const std::vector<float> y = ops::gelu(x).to_vector();
  CHECK(y[0] == 0.0f);
  // ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) at ±1, in double.
  const double t = std::tanh(std::sqrt(2.0 / std::numbers::pi) * (1.0 + 0.044715));
  CHECK(y[1] == doctest::Approx(0.5 * (1.0 + t)).epsilon(1e-6));
  CHECK(y[2] == doctest::Approx(-0.5 * (1.0 - t)).epsilon(1e-6));
  CHECK(y[3] == 30.0f);
  CHECK(y[4] == 0.0f);
}

TEST_CASE("gelu op: backward against finite differences") {
  const Tensor x = random_input({3, 5, 7}, 40, 2.0f);
  check_gradients([&] { return ops::gelu(x); }, {x});
}
