#include <doctest/doctest.h>

#include <vector>

#include "core/ops/embedding.h"
#include "gradient_check.h"

using namespace knnformer;

TEST_CASE("embedding: picks rows and sums the gradient of repeated ids") {
  const Tensor weight = testing::random_input({5, 3}, 1);
  const std::vector<int32_t> ids{4, 0, 4, 2, 2, 2};
  const Tensor y = ops::embedding(weight, ids, {2, 3, 3});
  for (size_t p = 0; p < ids.size(); ++p)
    for (int j = 0; j < 3; ++j) CHECK(y.data()[p * 3 + j] == weight.data()[ids[p] * 3 + j]);
  Tape::current().clear();
  testing::check_gradients([&] { return ops::embedding(weight, ids, {6, 3}); }, {weight});
}

TEST_CASE("embedding: an id outside the vocabulary is an error naming it") {
  const Tensor weight = Tensor::zeros({5, 3});
  const std::vector<int32_t> ids{1, 5};
  CHECK_THROWS_WITH_AS(ops::embedding(weight, ids, {2, 3}), "embedding: token id 5 outside the vocabulary [0, 5)",
                       Error);
}
