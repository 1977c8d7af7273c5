#include "core/kernels/gelu.h"

#include <cmath>

#include <doctest/doctest.h>

#include "kernel_testing.h"

using namespace knnformer;

namespace {

std::vector<float> inputs(int64_t n, uint64_t seed) {
  std::vector<float> x = testing::random_vector(n, seed, 3.0f);
  // Edge values where the tanh saturates or vanishes.
  const float edges[] = {0.0f, -0.0f, 1e-6f, -1e-6f, 10.0f, -10.0f, 80.0f, -80.0f};
  for (size_t i = 0; i < std::size(edges) && i < x.size(); ++i) x[i] = edges[i];
  return x;
}

std::vector<int64_t> lengths() {
  std::vector<int64_t> all = testing::kRowLengths;
  all.push_back(testing::kLongLength);
  return all;
}

// Checks |fast − slow| <= bound(i) for every element, reporting the first that fails.
template <class Bound>
void check_within(const std::vector<float>& x, const std::vector<float>& fast, const std::vector<float>& slow,
                  Bound bound) {
  for (size_t i = 0; i < fast.size(); ++i) {
    if (std::abs(fast[i] - slow[i]) <= bound(i)) continue;
    FAIL_CHECK("x = " << x[i] << ": " << fast[i] << " vs reference " << slow[i] << " (bound " << bound(i) << ")");
    return;
  }
}

}  // namespace

// Tolerances: the vector tanh is within 3 ulp (vector_math-inl.h), libm's
// float tanh within 1, so t differs by at most 4·6e-8 relative of |t| ≤ 1;
// gelu multiplies it by x/2, and its backward's x·(1 − t²) term by |x|·du/dx,
// whose size is at most about 1.5 over all x. Bounds of 5e-7·(1 + |x|)
// in absolute terms cover both with the final roundings; rtol adds 2 ulp.
TEST_CASE("gelu kernel: forward matches the reference") {
  testing::for_each_simd_target([&] {
    for (const int64_t n : lengths()) {
      CAPTURE(n);
      const std::vector<float> x = inputs(n, 8);
      std::vector<float> fast(n), slow(n);
      kernels::gelu_forward(x.data(), fast.data(), n);
      kernels::reference::gelu_forward(x.data(), slow.data(), n);
      check_within(x, fast, slow,
                   [&](size_t i) { return 5e-7f * (1.0f + std::abs(x[i])) + 2.4e-7f * std::abs(slow[i]); });
    }
  });
}

TEST_CASE("gelu kernel: backward matches the reference, accumulating or writing") {
  testing::for_each_simd_target([&] {
    for (const bool accumulate : {true, false})
      for (const int64_t n : lengths()) {
        CAPTURE(accumulate);
        CAPTURE(n);
        const std::vector<float> x = inputs(n, 9), dy = testing::random_vector(n, 10);
        const std::vector<float> dx = testing::random_vector(n, 11);
        std::vector<float> fast = dx, slow = dx, written(n, std::nanf(""));
        kernels::gelu_backward(x.data(), dy.data(), fast.data(), n, accumulate);
        kernels::reference::gelu_backward(x.data(), dy.data(), slow.data(), n, accumulate);
        check_within(x, fast, slow, [&](size_t i) {
          return 5e-7f * (1.0f + std::abs(x[i])) * (1.0f + std::abs(dy[i])) + 2.4e-7f * std::abs(slow[i]);
        });
        // Written into a buffer of NaNs: the write mode must not read dx.
        if (accumulate) continue;
        kernels::gelu_backward(x.data(), dy.data(), written.data(), n, false);
        CHECK(written == fast);
      }
  });
}

TEST_CASE("gelu kernel: exact values") {
  testing::for_each_simd_target([&] {
    const std::vector<float> x{0.0f, 20.0f, -20.0f};
    std::vector<float> y(3), dx(3, 0.0f);
    const std::vector<float> ones(3, 1.0f);
    kernels::gelu_forward(x.data(), y.data(), 3);
    CHECK(y[0] == 0.0f);
    CHECK(y[1] == 20.0f);  // tanh(u) rounds to 1
    CHECK(y[2] == 0.0f);   // −20·(1 − 1)/2
    kernels::gelu_backward(x.data(), ones.data(), dx.data(), 3, true);
    CHECK(dx[0] == 0.5f);  // gelu'(0) = ½
    CHECK(dx[1] == 1.0f);
    CHECK(dx[2] == 0.0f);
  });
}
