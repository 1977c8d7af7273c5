#include <doctest/doctest.h>

#include "core/ops/shape_ops.h"
#include "gradient_check.h"

using namespace knnformer;
using testing::check_gradients;
using testing::random_input;

TEST_CASE("shape ops: split_heads and merge_heads are inverse permutations") {
  const Tensor x = random_input({2, 3, 12}, 1);
  const Tensor heads = ops::split_heads(x, 4);
  CHECK(heads.shape() == Shape{2, 4, 3, 3});
  // Element (b, t, h*d + j) moves to (b, h, t, j).
  CHECK(heads.data()[((1 * 4 + 2) * 3 + 1) * 3 + 2] == x.data()[(1 * 3 + 1) * 12 + 2 * 3 + 2]);
  const Tensor back = ops::merge_heads(heads);
  CHECK(back.to_vector() == x.to_vector());
  Tape::current().clear();
}

TEST_CASE("shape ops: backward against finite differences") {
  const Tensor x = random_input({2, 3, 5}, 2);
  check_gradients([&] { return ops::transpose(x, 0, 2); }, {x});
  check_gradients([&] { return ops::transpose(x, -1, -2); }, {x});
  check_gradients([&] { return ops::reshape(x, {6, 5}); }, {x});
  check_gradients([&] { return ops::slice_last(x, 1, 3); }, {x});
  const Tensor y = random_input({2, 3, 8}, 3);
  check_gradients([&] { return ops::merge_heads(ops::split_heads(y, 2)); }, {y});
  check_gradients([&] { return ops::split_heads(y, 4); }, {y});
}

TEST_CASE("shape ops: split_qkv_heads equals slicing then splitting, and its backward passes finite differences") {
  const Tensor x = random_input({2, 3, 3 * 8}, 4);
  {
    const NoGrad no_grad;
    const auto [q, k, v] = ops::split_qkv_heads(x, 2);
    CHECK(q.to_vector() == ops::split_heads(ops::slice_last(x, 0, 8), 2).to_vector());
    CHECK(k.to_vector() == ops::split_heads(ops::slice_last(x, 8, 8), 2).to_vector());
    CHECK(v.to_vector() == ops::split_heads(ops::slice_last(x, 16, 8), 2).to_vector());
  }
  for (int part = 0; part < 3; ++part)
    check_gradients([&] { return ops::split_qkv_heads(x, 2)[part]; }, {x});
  check_gradients([&] {
    const auto [q, k, v] = ops::split_qkv_heads(x, 4);
    return ops::slice_last(ops::merge_heads(q), 0, 8);
  }, {x});
  CHECK_THROWS_AS(ops::split_qkv_heads(Tensor::zeros({2, 3, 8}), 2), Error);
}

TEST_CASE("shape ops: bad shapes are errors that name the shape") {
  const Tensor x = Tensor::zeros({2, 3});
  CHECK_THROWS_WITH_AS(ops::reshape(x, {4, 2}), "reshape: cannot view shape [2, 3] as [4, 2]", Error);
  CHECK_THROWS_AS(ops::split_heads(Tensor::zeros({2, 3, 5}), 2), Error);
  CHECK_THROWS_AS(ops::slice_last(x, 2, 2), Error);
}
