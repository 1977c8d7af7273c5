#include "core/ops/rotary.h"

#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "gradient_check.h"

using namespace knnformer;
using testing::check_gradients;
using testing::random_input;

namespace {

double dot(const float* a, const float* b, int64_t count) {
  double total = 0;
  for (int64_t c = 0; c < count; ++c) total += double(a[c]) * b[c];
  return total;
}

}  // namespace

TEST_CASE("rotary embedding: position 0 is the identity, and the pair (0, 1) turns by t radians") {
  const Tensor x = random_input({1, 1, 4, 6}, 3);
  const std::vector<float> y = ops::rotary_embedding(x).to_vector(), in = x.to_vector();
  for (int c = 0; c < 6; ++c) CHECK(y[c] == in[c]);
  // θ_0 = 1: at position t the first pair turns by t radians.
  for (int t = 1; t < 4; ++t) {
    const float* a = in.data() + t * 6;
    CHECK(y[t * 6] == doctest::Approx(a[0] * std::cos(t) - a[1] * std::sin(t)).epsilon(1e-6));
    CHECK(y[t * 6 + 1] == doctest::Approx(a[0] * std::sin(t) + a[1] * std::cos(t)).epsilon(1e-6));
  }
}

TEST_CASE("rotary embedding: norms are kept, and scores depend on the offset of positions alone") {
  constexpr int64_t kTime = 40, kDim = 16;
  // The same q in every row of one block and the same k in every row of another.
  const Tensor one = random_input({1, 1, 1, kDim}, 5), other = random_input({1, 1, 1, kDim}, 6);
  Tensor q = Tensor::empty({1, 1, kTime, kDim}), k = Tensor::empty({1, 1, kTime, kDim});
  for (int64_t t = 0; t < kTime; ++t)
    for (int64_t c = 0; c < kDim; ++c) q.data()[t * kDim + c] = one.data()[c], k.data()[t * kDim + c] = other.data()[c];
  const Tensor q_rotated = ops::rotary_embedding(q), k_rotated = ops::rotary_embedding(k);
  const float* qr = q_rotated.data();
  const float* kr = k_rotated.data();
  for (int64_t t = 0; t < kTime; ++t)
    CHECK(std::sqrt(dot(qr + t * kDim, qr + t * kDim, kDim)) ==
          doctest::Approx(std::sqrt(dot(one.data(), one.data(), kDim))).epsilon(1e-6));
  for (int64_t offset = 0; offset < 5; ++offset) {
    const double first = dot(qr + offset * kDim, kr, kDim);
    for (int64_t s = 1; s + offset < kTime; s += 7)
      CHECK(dot(qr + (s + offset) * kDim, kr + s * kDim, kDim) == doctest::Approx(first).epsilon(1e-5));
  }
}

TEST_CASE("rotary embedding: rows rotated in place at one position equal those rows of the op") {
  const Tensor x = random_input({2, 3, 9, 8}, 7);
  const std::vector<float> y = ops::rotary_embedding(x).to_vector();
  for (int64_t row = 0; row < 2 * 3 * 9; ++row) {
    std::vector<float> alone(x.data() + row * 8, x.data() + row * 8 + 8);
    ops::rotate_at_position(alone.data(), 1, 8, row % 9);
    for (int c = 0; c < 8; ++c) CHECK(alone[c] == doctest::Approx(y[row * 8 + c]).epsilon(1e-6));
  }
  // The same position's row of all 6 blocks at once.
  for (int64_t t = 0; t < 9; ++t) {
    std::vector<float> rows;
    for (int64_t block = 0; block < 6; ++block)
      rows.insert(rows.end(), x.data() + (block * 9 + t) * 8, x.data() + (block * 9 + t) * 8 + 8);
    ops::rotate_at_position(rows.data(), 6, 8, t);
    for (int64_t block = 0; block < 6; ++block)
      for (int c = 0; c < 8; ++c)
        CHECK(rows[block * 8 + c] == doctest::Approx(y[(block * 9 + t) * 8 + c]).epsilon(1e-6));
  }
}

TEST_CASE("rotary embedding: backward against finite differences") {
  const Tensor x = random_input({2, 3, 5, 8}, 40, 2.0f);
  check_gradients([&] { return ops::rotary_embedding(x); }, {x});
}

TEST_CASE("rotary embedding: an odd last dim is an error") {
  CHECK_THROWS_WITH_AS(ops::rotary_embedding(random_input({1, 1, 4, 5}, 1)),
                       "rotary_embedding: the last dim must be even, got 5", Error);
  std::vector<float> row(3);
  CHECK_THROWS_AS(ops::rotate_at_position(row.data(), 1, 3, 0), Error);
}
