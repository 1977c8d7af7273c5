#include "core/kernels/reduction.h"

#include <doctest/doctest.h>

#include "core/kernels/blocks.h"
#include "kernel_testing.h"

using namespace knnformer;

TEST_CASE("sum kernel: matches the double-precision reference") {
  testing::for_each_simd_target([&] {
    // Inside a block the vector path sums one float per lane, then the lanes:
    // each lane adds ≤ 16 K / lanes terms, 16 K on the scalar target, so the
    // rounding is about sqrt(16 K)·ulp ≈ 8e-6 of the sum of |x| at worst; with
    // N(1, 1) inputs that sum is close to the sum itself.
    for (const int64_t n : {int64_t{1}, int64_t{7}, int64_t{15}, int64_t{17}, int64_t{257},
                            3 * kernels::kElementsPerBlock + 11, testing::kLongLength}) {
      CAPTURE(n);
      const std::vector<float> x = testing::random_vector(n, 6, 1.0f, 1.0f);
      const float expected = kernels::reference::sum(x.data(), n);
      CHECK(std::abs(kernels::sum(x.data(), n) - expected) <= 1e-5f * std::abs(expected) + 1e-6f);
    }
    CHECK(kernels::sum(nullptr, 0) == 0.0f);
  });
}

TEST_CASE("sum kernel: the same bits on 1 and 2 threads") {
  testing::for_each_simd_target([&] {
    const int64_t n = 5 * kernels::kElementsPerBlock + 3;
    const std::vector<float> x = testing::random_vector(n, 7);
    float one, two;
    {
      const testing::ThreadCount threads(1);
      one = kernels::sum(x.data(), n);
    }
    {
      const testing::ThreadCount threads(2);
      two = kernels::sum(x.data(), n);
    }
    CHECK(one == two);
  });
}

TEST_CASE("column sums kernel: the same bits as its reference, added or written, on every target") {
  testing::for_each_simd_target([&] {
    for (const int64_t rows : {1, 3, 64})
      for (const int64_t cols : {1, 7, 16, 63, 64, 65, 200})
        for (const bool overwrite : {true, false}) {
          CAPTURE(rows);
          CAPTURE(cols);
          CAPTURE(overwrite);
          const std::vector<float> x = testing::random_vector(rows * cols, 8);
          std::vector<float> sums = testing::random_vector(cols, 9), expected = sums;
          kernels::add_column_sums(x.data(), rows, cols, sums.data(), overwrite);
          kernels::reference::add_column_sums(x.data(), rows, cols, expected.data(), overwrite);
          CHECK(sums == expected);  // each column in row order, one rounding per addition
        }
  });
}

