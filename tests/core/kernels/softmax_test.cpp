#include "core/kernels/softmax.h"

#include <doctest/doctest.h>

#include "kernel_testing.h"

using namespace knnformer;
using testing::check_close;

namespace {

constexpr int64_t kRows = 4;

// Rows of N(0, scale²) values, the last one constant.
std::vector<float> logits(int64_t cols, float scale, uint64_t seed) {
  std::vector<float> x = testing::random_vector(kRows * cols, seed, scale);
  std::fill(x.end() - cols, x.end(), scale);
  return x;
}

}  // namespace

// Tolerance: each output is exp(x − max)/Σ. The vector exp is within 1 ulp,
// the float sum of at most 257 terms in [0, 1] carries about sqrt(257 /
// lanes)·6e-8 ≤ 1e-6 relative (random rounding; 257 terms in one lane on the
// scalar target), and the reference sums in double: rtol 4e-6 covers both,
// atol 1e-12 the outputs that underflow to 0 on one side only.
TEST_CASE("softmax kernel: forward matches the reference, large and small logits included") {
  testing::for_each_simd_target([&] {
    for (const float scale : {1.0f, 80.0f, 1e4f}) {
      for (const int64_t cols : testing::kRowLengths) {
        CAPTURE(scale);
        CAPTURE(cols);
        const std::vector<float> x = logits(cols, scale, 12);
        std::vector<float> fast(x.size()), slow(x.size());
        kernels::softmax_forward(x.data(), fast.data(), kRows, cols);
        kernels::reference::softmax_forward(x.data(), slow.data(), kRows, cols);
        check_close(fast, slow, 1e-12, 4e-6);
        // The constant row is uniform.
        for (int64_t j = 0; j < cols; ++j)
          CHECK(fast[(kRows - 1) * cols + j] == doctest::Approx(1.0 / cols).epsilon(1e-6));
      }
    }
  });
}

TEST_CASE("softmax kernel: backward matches the reference and accumulates") {
  testing::for_each_simd_target([&] {
    // dx = y(dy − ⟨dy, y⟩) with |dy| = O(1) and y ≤ 1: the dot product in float
    // against double differs by a few ulp of O(1), so atol 1e-6.
    for (const int64_t cols : testing::kRowLengths) {
      CAPTURE(cols);
      std::vector<float> y(kRows * cols);
      kernels::reference::softmax_forward(logits(cols, 2.0f, 13).data(), y.data(), kRows, cols);
      const std::vector<float> dy = testing::random_vector(kRows * cols, 14);
      const std::vector<float> dx = testing::random_vector(kRows * cols, 15);
      std::vector<float> fast = dx, slow = dx;
      kernels::softmax_backward(y.data(), dy.data(), fast.data(), kRows, cols);
      kernels::reference::softmax_backward(y.data(), dy.data(), slow.data(), kRows, cols);
      check_close(fast, slow, 1e-6, 1e-6);
    }
  });
}

TEST_CASE("softmax kernel: a row of one element is 1, huge logits stay finite") {
  testing::for_each_simd_target([&] {
    const std::vector<float> x{-1e4f, 1e4f, 0.0f, 1e4f};
    std::vector<float> y(4);
    kernels::softmax_forward(x.data(), y.data(), 1, 4);
    CHECK(y == std::vector<float>{0.0f, 0.5f, 0.0f, 0.5f});
    kernels::softmax_forward(x.data(), y.data(), 4, 1);
    CHECK(y == std::vector<float>{1.0f, 1.0f, 1.0f, 1.0f});
  });
}
