#include "core/ops/elementwise.h"

#include <doctest/doctest.h>

#include "core/ops/reduction.h"
#include "gradient_check.h"

using namespace knnformer;
using testing::check_gradients;
using testing::random_input;

TEST_CASE("elementwise ops: values") {
  const Tensor a = Tensor::from_vector({2, 3}, std::vector<float>{1, 2, 3, 4, 5, 6});
  const Tensor b = Tensor::from_vector({2, 3}, std::vector<float>{6, 5, 4, 3, 2, 1});
  CHECK(ops::add(a, b).to_vector() == std::vector<float>{7, 7, 7, 7, 7, 7});
  CHECK(ops::mul(a, b).to_vector() == std::vector<float>{6, 10, 12, 12, 10, 6});
  CHECK(ops::scale(a, -2.0f).to_vector() == std::vector<float>{-2, -4, -6, -8, -10, -12});
}

TEST_CASE("elementwise ops: backward against finite differences") {
  const Tensor a = random_input({3, 5, 7}, 30), b = random_input({3, 5, 7}, 31);
  check_gradients([&] { return ops::add(a, b); }, {a, b});
  check_gradients([&] { return ops::mul(a, b); }, {a, b});
  check_gradients([&] { return ops::scale(a, -1.5f); }, {a});
  // One input used twice: both paths add into the same gradient.
  check_gradients([&] { return ops::mul(a, a); }, {a});
}

TEST_CASE("elementwise ops: a constant input gets no gradient") {
  const Tensor a = random_input({4, 9}, 32);
  const Tensor constant = Tensor::full({4, 9}, 2.0f);
  a.zero_grad();
  backward(ops::sum(ops::mul(a, constant)));
  CHECK(std::vector<float>(a.grad(), a.grad() + 36) == std::vector<float>(36, 2.0f));
  CHECK(!constant.has_grad());
}

TEST_CASE("elementwise ops: shapes that differ are errors naming both") {
  const Tensor a = Tensor::zeros({2, 3}), b = Tensor::zeros({3, 2});
  CHECK_THROWS_WITH_AS(ops::add(a, b), "add: shapes [2, 3] and [3, 2] differ", Error);
  CHECK_THROWS_WITH_AS(ops::mul(a, Tensor::zeros({2, 3, 1})), "mul: shapes [2, 3] and [2, 3, 1] differ", Error);
}
