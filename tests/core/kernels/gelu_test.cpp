#include "core/kernels/gelu.h"

#include <cmath>

#include <doctest/doctest.h>

#include "core/kernels/reduction.h"
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

// The fused pass must give the bits of the two passes it replaces, on every
// target and thread count; against the scalar reference, dx within the
// tolerance above and the sums within those bounds summed over a column,
// plus a rounding of each addition.
TEST_CASE("gelu kernel: backward with column sums equals backward then column sums, bit for bit") {
  testing::for_each_simd_target([&] {
    for (const int64_t rows : {1, 3, 64})
      for (const int64_t cols : {1, 7, 16, 63, 64, 65, 200})
        for (const bool overwrite : {true, false}) {
          CAPTURE(rows);
          CAPTURE(cols);
          CAPTURE(overwrite);
          const int64_t n = rows * cols;
          const std::vector<float> x = inputs(n, 12), dy = testing::random_vector(n, 13);
          const std::vector<float> initial_sums = testing::random_vector(cols, 14);
          std::vector<float> fused_dx(n, std::nanf("")), fused_sums = initial_sums;
          kernels::gelu_backward_with_column_sums(x.data(), dy.data(), fused_dx.data(), rows, cols,
                                                  fused_sums.data(), overwrite);
          std::vector<float> two_pass_dx(n), two_pass_sums = initial_sums;
          kernels::gelu_backward(x.data(), dy.data(), two_pass_dx.data(), n, false);
          kernels::add_column_sums(two_pass_dx.data(), rows, cols, two_pass_sums.data(), overwrite);
          CHECK(fused_dx == two_pass_dx);
          CHECK(fused_sums == two_pass_sums);

          std::vector<float> reference_dx(n), reference_sums = initial_sums;
          kernels::reference::gelu_backward_with_column_sums(x.data(), dy.data(), reference_dx.data(), rows, cols,
                                                             reference_sums.data(), overwrite);
          const auto dx_bound = [&](size_t i) {
            return 5e-7f * (1.0f + std::abs(x[i])) * (1.0f + std::abs(dy[i])) + 2.4e-7f * std::abs(reference_dx[i]);
          };
          check_within(x, fused_dx, reference_dx, dx_bound);
          // Each addition of a column may round either way of the other's.
          for (int64_t j = 0; j < cols; ++j) {
            double differences = 0, magnitude = overwrite ? 0 : std::abs(initial_sums[j]);
            for (int64_t r = 0; r < rows; ++r) {
              differences += dx_bound(r * cols + j);
              magnitude += std::abs(reference_dx[r * cols + j]);
            }
            CHECK(std::abs(fused_sums[j] - reference_sums[j]) <= differences + 2 * rows * 0x1p-24 * magnitude);
          }
        }
  });
}

TEST_CASE("gelu kernel: backward with column sums does not depend on the thread count") {
  const int64_t rows = 300, cols = 1000;
  const std::vector<float> x = inputs(rows * cols, 15), dy = testing::random_vector(rows * cols, 16);
  const auto run = [&](int threads) {
    const testing::ThreadCount thread_count(threads);
    std::vector<float> dx(rows * cols), sums(cols);
    kernels::gelu_backward_with_column_sums(x.data(), dy.data(), dx.data(), rows, cols, sums.data(), true);
    dx.insert(dx.end(), sums.begin(), sums.end());
    return dx;
  };
  CHECK(run(1) == run(3));
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
