// The attention tile's kernels against their scalar references
// (core/kernels/attention_tile.h), on every SIMD target this machine runs.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "core/kernels/attention_tile.h"
#include "core/rng.h"
#include "kernel_testing.h"

using namespace knnformer;
using namespace knnformer::kernels;
using knnformer::testing::for_each_simd_target;

namespace {

std::vector<float> random_values(int64_t count, uint64_t seed, float low, float high) {
  std::vector<float> values(count);
  CounterRng(seed, {0x711E}).fill_uniform(values.data(), count);
  for (float& value : values) value = low + (high - low) * value;
  return values;
}

// Runs one product through the SIMD kernel and the reference on equal copies of C.
void check_product_against_reference(int64_t rows, int64_t inner, int64_t width, bool transposed_a, bool accumulate) {
  INFO("rows ", rows, " inner ", inner, " width ", width, " transposed a ", transposed_a, " accumulate ", accumulate);
  const int64_t a_stride = (transposed_a ? rows : inner) + 3, b_stride = width + 5, c_stride = width + 2;
  const std::vector<float> a = random_values((transposed_a ? inner : rows) * a_stride, 1, -1.0f, 1.0f);
  const std::vector<float> b = random_values(inner * b_stride, 2, -1.0f, 1.0f);
  std::vector<float> c = random_values(rows * c_stride, 3, -1.0f, 1.0f);
  std::vector<float> c_reference = c;

  tiles::TileProduct product{.rows = rows, .inner = inner, .width = width,
                             .a = a.data(), .a_row_stride = transposed_a ? 1 : a_stride,
                             .a_inner_stride = transposed_a ? a_stride : 1,
                             .b = b.data(), .b_row_stride = b_stride,
                             .c = c.data(), .c_row_stride = c_stride, .accumulate = accumulate};
  tiles::multiply_tile(product);
  product.c = c_reference.data();
  tiles::reference::multiply_tile(product);

  // Elements beyond their bound (a NaN among them), and columns past width,
  // which are padding the kernel must not touch: one check each per product.
  const double bound = 1e-5 * (1.0 + double(inner));
  int64_t beyond_bound = 0, padding_changed = 0;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t column = 0; column < c_stride; ++column) {
      const float got = c[r * c_stride + column], want = c_reference[r * c_stride + column];
      if (column >= width) padding_changed += got != want;
      beyond_bound += !(std::abs(double(got) - want) <= bound);
    }
  CHECK(padding_changed == 0);
  CHECK(beyond_bound == 0);
}

}  // namespace

// Widths around the vector lengths (4, 8 and 16 floats) and the column
// passes (8 to 64 columns), rows around the blocks of 6.
TEST_CASE("attention tile: multiply_tile matches its scalar reference") {
  for_each_simd_target([] {
    for (const int64_t rows : {1, 2, 5, 6, 7, 13, 64})
      for (const int64_t width : {1, 3, 8, 16, 20, 31, 64, 65, 100, 128})
        for (const int64_t inner : {1, 7, 64})
          for (const bool transposed_a : {false, true})
            for (const bool accumulate : {false, true})
              check_product_against_reference(rows, inner, width, transposed_a, accumulate);
  });
}

TEST_CASE("attention tile: exp_row matches std::exp and sums its outputs") {
  for_each_simd_target([] {
    for (const int64_t count : {1, 3, 7, 15, 16, 17, 64}) {
      const std::vector<float> x = random_values(count, 4, -30.0f, 30.0f);
      std::vector<float> y(count), y_reference(count);
      const float scale = 0.125f, shift = 30.0f;  // exponents in [-7.5, 0]
      const float sum = tiles::exp_row(x.data(), count, scale, shift, y.data());
      const float sum_reference = tiles::reference::exp_row(x.data(), count, scale, shift, y_reference.data());
      for (int64_t j = 0; j < count; ++j) CHECK(std::abs(y[j] - y_reference[j]) <= 4e-7f * y_reference[j]);
      CHECK(std::abs(sum - sum_reference) <= 1e-6f * sum_reference);
    }
  });
}

TEST_CASE("attention tile: exp_row clamps its exponent to [-87, 0], never giving NaN") {
  for_each_simd_target([] {
    const std::vector<float> x{-1e30f, -200.0f, -88.0f, -87.0f, 0.0f, -1e38f, 1e-3f};
    std::vector<float> y(x.size());
    const float sum = tiles::exp_row(x.data(), int64_t(x.size()), 1.0f, 0.0f, y.data());
    for (const float value : y) {
      CHECK(std::isfinite(value));
      CHECK(value >= 0.0f);
    }
    CHECK(y[4] == 1.0f);
    CHECK(y[0] < 1e-37f);
    CHECK(y[6] == 1.0f);  // a positive exponent, from rounding in a softmax, is clamped to 0
    CHECK(sum == doctest::Approx(2.0));
  });
}

TEST_CASE("attention tile: score_gradient_row matches its scalar reference exactly") {
  for_each_simd_target([] {
    for (const int64_t count : {1, 3, 7, 15, 16, 17, 64}) {
      const std::vector<float> probabilities = random_values(count, 5, 0.0f, 1.0f);
      std::vector<float> score_grads = random_values(count, 6, -2.0f, 2.0f);
      std::vector<float> reference_grads = score_grads;
      tiles::score_gradient_row(probabilities.data(), 0.375f, count, score_grads.data());
      tiles::reference::score_gradient_row(probabilities.data(), 0.375f, count, reference_grads.data());
      CHECK(score_grads == reference_grads);  // one subtraction and one product, rounded alike
    }
  });
}
