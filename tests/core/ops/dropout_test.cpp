#include "core/ops/dropout.h"

#include <doctest/doctest.h>

#include <algorithm>

#include "core/parallel.h"
#include "gradient_check.h"

using namespace knnformer;
using testing::check_gradients;
using testing::random_input;

namespace {

int64_t zeros_in(const Tensor& t) {
  return std::count(t.data(), t.data() + t.numel(), 0.0f);
}

}  // namespace

TEST_CASE("dropout op: evaluation and p = 0 are the identity") {
  const Tensor x = random_input({3, 5, 7}, 90);
  CHECK(ops::dropout(x, 0.5f, false, 1, {2, 3}).same_as(x));
  CHECK(ops::dropout(x, 0.0f, true, 1, {2, 3}).same_as(x));
}

TEST_CASE("dropout op: drops about p of the elements and scales the rest by 1/(1 − p)") {
  const Tensor x = Tensor::full({1000, 100}, 1.0f);
  const Tensor y = ops::dropout(x, 0.2f, true, 7, {1});
  // Dropped ~ Binomial(1e5, 0.2): standard deviation 126, so ±600 is about 5 sigma.
  CHECK(std::abs(zeros_in(y) - 20000) < 600);
  for (int64_t i = 0; i < y.numel(); ++i)
    if (y.data()[i] != 0.0f) REQUIRE(y.data()[i] == doctest::Approx(1.25f));
}

TEST_CASE("dropout op: the mask is a function of (seed, stream ids) alone") {
  const Tensor x = Tensor::full({300, 101}, 1.0f);  // several mask blocks
  Tensor one_thread, two_threads;
  {
    const int previous = num_threads();
    set_num_threads(1);
    one_thread = ops::dropout(x, 0.5f, true, 3, {4, 5});
    set_num_threads(2);
    two_threads = ops::dropout(x, 0.5f, true, 3, {4, 5});
    set_num_threads(previous);
  }
  CHECK(one_thread.to_vector() == two_threads.to_vector());
  CHECK(ops::dropout(x, 0.5f, true, 3, {4, 6}).to_vector() != one_thread.to_vector());
  CHECK(ops::dropout(x, 0.5f, true, 4, {4, 5}).to_vector() != one_thread.to_vector());
}

TEST_CASE("dropout op: backward against finite differences") {
  const Tensor x = random_input({3, 5, 7}, 91);
  check_gradients([&] { return ops::dropout(x, 0.3f, true, 11, {12}); }, {x});
}

TEST_CASE("dropout op: a probability below 0 or not below 1 is an error") {
  const Tensor x = Tensor::zeros({2});
  CHECK_THROWS_AS(ops::dropout(x, 1.0f, true, 1, {}), Error);
  CHECK_THROWS_AS(ops::dropout(x, -0.1f, true, 1, {}), Error);
}
