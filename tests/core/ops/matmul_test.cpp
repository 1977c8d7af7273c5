#include <doctest/doctest.h>

#include "core/ops/matmul.h"
#include "gradient_check.h"

using namespace knnformer;
using testing::check_gradients;
using testing::random_input;

namespace {

// C = op(A)·op(B) for one matrix, by the definition.
std::vector<float> naive_product(const float* a, const float* b, int64_t m, int64_t n, int64_t k, bool ta, bool tb) {
  std::vector<float> c(m * n, 0.0f);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double sum = 0;
      for (int64_t l = 0; l < k; ++l)
        sum += double(ta ? a[l * m + i] : a[i * k + l]) * (tb ? b[j * k + l] : b[l * n + j]);
      c[i * n + j] = static_cast<float>(sum);
    }
  return c;
}

}  // namespace

TEST_CASE("matmul: forward equals the definition for every transpose and batch") {
  const int64_t batch = 3, m = 5, n = 7, k = 9;
  for (const bool ta : {false, true})
    for (const bool tb : {false, true}) {
      const Tensor a = random_input(ta ? Shape{batch, k, m} : Shape{batch, m, k}, 1);
      const Tensor b = random_input(tb ? Shape{batch, n, k} : Shape{batch, k, n}, 2);
      const NoGrad no_grad;
      const Tensor c = ops::matmul(a, b, ta, tb);
      REQUIRE(c.shape() == Shape{batch, m, n});
      for (int64_t e = 0; e < batch; ++e) {
        const auto expected = naive_product(a.data() + e * m * k, b.data() + e * k * n, m, n, k, ta, tb);
        for (int64_t i = 0; i < m * n; ++i)
          CHECK(c.data()[e * m * n + i] == doctest::Approx(expected[i]).epsilon(1e-5));
      }
    }
}

TEST_CASE("matmul: backward against finite differences") {
  for (const bool ta : {false, true})
    for (const bool tb : {false, true}) {
      CAPTURE(ta);
      CAPTURE(tb);
      const Tensor a = random_input(ta ? Shape{2, 4, 3} : Shape{2, 3, 4}, 3);
      const Tensor b = random_input(tb ? Shape{2, 5, 4} : Shape{2, 4, 5}, 4);
      check_gradients([&] { return ops::matmul(a, b, ta, tb); }, {a, b});
      const Tensor shared = random_input(tb ? Shape{5, 4} : Shape{4, 5}, 5);
      if (!ta) check_gradients([&] { return ops::matmul(a, shared, false, tb); }, {a, shared});
    }
  const Tensor a4 = random_input({2, 2, 3, 4}, 6), b4 = random_input({2, 2, 3, 4}, 7);
  check_gradients([&] { return ops::matmul(a4, b4, false, true); }, {a4, b4});
}

TEST_CASE("linear: forward and backward with and without bias") {
  const Tensor x = random_input({2, 3, 5}, 8), weight = random_input({7, 5}, 9), bias = random_input({7}, 10);
  {
    const NoGrad no_grad;
    const Tensor y = ops::linear(x, weight, bias);
    REQUIRE(y.shape() == Shape{2, 3, 7});
    const auto expected = naive_product(x.data(), weight.data(), 6, 7, 5, false, true);
    for (int64_t i = 0; i < 42; ++i)
      CHECK(y.data()[i] == doctest::Approx(expected[i] + bias.data()[i % 7]).epsilon(1e-5));
  }
  check_gradients([&] { return ops::linear(x, weight, bias); }, {x, weight, bias});
  check_gradients([&] { return ops::linear(x, weight, Tensor()); }, {x, weight});
}

TEST_CASE("matmul and linear: mismatched shapes are errors naming both shapes") {
  const NoGrad no_grad;
  CHECK_THROWS_WITH_AS(ops::matmul(Tensor::zeros({2, 3}), Tensor::zeros({4, 5})),
                       "matmul: shapes [2, 3] and [4, 5] do not multiply", Error);
  CHECK_THROWS_AS(ops::matmul(Tensor::zeros({2, 2, 3}), Tensor::zeros({3, 2, 3}), false, true), Error);
  CHECK_THROWS_WITH_AS(ops::linear(Tensor::zeros({2, 3}), Tensor::zeros({4, 5}), Tensor()),
                       "linear: input [2, 3] does not fit weight [4, 5] ([out, in])", Error);
}
