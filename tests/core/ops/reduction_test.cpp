#include "core/ops/reduction.h"

#include <doctest/doctest.h>

#include "gradient_check.h"

using namespace knnformer;
using testing::check_gradients;
using testing::random_input;

TEST_CASE("sum and mean ops: values") {
  const Tensor x = Tensor::from_vector({2, 3}, std::vector<float>{1, 2, 3, 4, 5, 6});
  CHECK(ops::sum(x).item() == 21.0f);
  CHECK(ops::mean(x).item() == 3.5f);
  CHECK(ops::sum(x).numel() == 1);
}

TEST_CASE("sum and mean ops: backward against finite differences") {
  const Tensor x = random_input({3, 5, 7}, 80);
  check_gradients([&] { return ops::sum(x); }, {x});
  check_gradients([&] { return ops::mean(x); }, {x});
}
