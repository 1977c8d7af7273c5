#include "core/ops/softmax.h"

#include <doctest/doctest.h>

#include "gradient_check.h"

using namespace knnformer;
using testing::check_gradients;
using testing::random_input;

TEST_CASE("softmax op: rows sum to 1, whatever the size of the logits") {
  for (const float scale : {1.0f, 80.0f, 1e4f}) {
    const Tensor x = random_input({2, 3, 17}, 60, scale);
    const Tensor y = ops::softmax(x);
    for (int64_t r = 0; r < 6; ++r) {
      double total = 0.0;
      for (int j = 0; j < 17; ++j) total += y.data()[r * 17 + j];
      CHECK(total == doctest::Approx(1.0).epsilon(1e-6));  // 17 terms, each within a few ulp
    }
  }
  Tape::current().clear();
}

TEST_CASE("softmax op: backward against finite differences") {
  const Tensor x = random_input({3, 5, 7}, 61);
  check_gradients([&] { return ops::softmax(x); }, {x});
}
