#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/kernels/bfloat16.h"
#include "core/rng.h"
#include "layers/attention/flash_tiling.h"

using namespace knnformer;
using attention::flash::Triangle;
using kernels::tiles::Bfloat16TileProduct;
using kernels::tiles::TileProduct;

namespace {

// A diagonal tile's product of n rows: a [n × n] (rows by inner, read with
// the given strides), b [n × width], c [n × width], filled at random, with
// the zeros of a(r, t) that the triangle promises.
struct DiagonalProduct {
  DiagonalProduct(int64_t n_, int64_t width_, Triangle triangle, bool a_transposed)
      : n(n_), width(width_), a(n * n), b(n * width), c(n * width) {
    CounterRng(5, {uint64_t(n), uint64_t(width)}).fill_normal(a.data(), n * n, 0, 1);
    CounterRng(6, {uint64_t(n), uint64_t(width)}).fill_normal(b.data(), n * width, 0, 1);
    CounterRng(7, {uint64_t(n), uint64_t(width)}).fill_normal(c.data(), n * width, 0, 1);
    row_stride = a_transposed ? 1 : n;
    inner_stride = a_transposed ? n : 1;
    for (int64_t r = 0; r < n; ++r)
      for (int64_t t = 0; t < n; ++t) {
        const bool zero = (triangle == Triangle::lower_left && t > r) || (triangle == Triangle::upper_left && t < r);
        if (zero) a[r * row_stride + t * inner_stride] = 0.0f;
      }
  }

  TileProduct product(float* out, bool accumulate) const {
    return {.rows = n, .inner = n, .width = width,
            .a = a.data(), .a_row_stride = row_stride, .a_inner_stride = inner_stride,
            .b = b.data(), .b_row_stride = width,
            .c = out, .c_row_stride = width, .accumulate = accumulate};
  }

  int64_t n, width, row_stride = 0, inner_stride = 1;
  std::vector<float> a, b, c;
};

// The same in bf16: a [n × n'] with n' = n rounded up to even (its last
// column zero), b as pairs of rows [n'/2 × width × 2], with the zeros the
// triangle promises (upper_right: B[t][c] = 0 for t < c).
struct DiagonalBfloat16Product {
  DiagonalBfloat16Product(int64_t n_, int64_t width_, Triangle triangle)
      : n(n_), inner(n + n % 2), width(width_), a(n * inner), b(inner * width), c(n * width) {
    std::vector<float> a_values(n * inner), b_values(inner * width);
    CounterRng(8, {uint64_t(n), uint64_t(width)}).fill_normal(a_values.data(), n * inner, 0, 1);
    CounterRng(9, {uint64_t(n), uint64_t(width)}).fill_normal(b_values.data(), inner * width, 0, 1);
    CounterRng(10, {uint64_t(n), uint64_t(width)}).fill_normal(c.data(), n * width, 0, 1);
    for (int64_t r = 0; r < n; ++r)
      for (int64_t t = 0; t < inner; ++t) {
        const bool zero = t >= n || (triangle == Triangle::lower_left && t > r) ||
                          (triangle == Triangle::upper_left && t < r);
        if (zero) a_values[r * inner + t] = 0.0f;
      }
    for (int64_t t = 0; t < inner; ++t)
      for (int64_t col = 0; col < width; ++col)
        if (t >= n || (triangle == Triangle::upper_right && t < col)) b_values[t * width + col] = 0.0f;
    kernels::to_bfloat16(a_values.data(), a.data(), n * inner);
    for (int64_t t = 0; t < inner; t += 2)
      kernels::to_bfloat16_pairs(&b_values[t * width], &b_values[(t + 1) * width], &b[t * width], width);
  }

  Bfloat16TileProduct product(float* out, bool accumulate) const {
    return {.rows = n, .inner = inner, .width = width, .a = a.data(), .a_row_stride = inner,
            .b = b.data(), .b_pair_row_stride = 2 * width, .c = out, .c_row_stride = width, .accumulate = accumulate};
  }

  // Σ_t |a(r, t)·b(t, col)| (and |c| when accumulating): what bounds the
  // rounding of a sum (tests/core/kernels/bfloat16_tile_test.cpp).
  double magnitude(int64_t r, int64_t col, bool accumulate) const {
    double total = accumulate ? std::abs(double(c[r * width + col])) : 0.0;
    for (int64_t t = 0; t < inner; ++t) {
      const float b_value = kernels::from_bfloat16(b[(t / 2) * 2 * width + 2 * col + t % 2]);
      total += std::abs(double(kernels::from_bfloat16(a[r * inner + t])) * b_value);
    }
    return total;
  }

  int64_t n, inner, width;
  std::vector<uint16_t> a, b;
  std::vector<float> c;
};

}  // namespace

// On the dot-product kernel and the reference a banded product gives the
// full product's bits. On AMX the bands' edges move elements between the
// matrix unit's whole tiles and the dot-product kernel's edges, whose sums
// round differently: there the two agree within the rounding of the sum.
TEST_CASE("flash tiling: bf16 banded products give the full product's result where they are defined") {
  const bool same_bits = kernels::tiles::bfloat16_tile_engine() != kernels::tiles::Bfloat16TileEngine::matrix_unit;
  for (const int64_t n : {1, 5, 12, 13, 40, 64})
    for (const int64_t width : {int64_t{8}, n})
      for (const Triangle triangle :
           {Triangle::lower_output, Triangle::lower_left, Triangle::upper_left, Triangle::upper_right})
        for (const bool accumulate : {false, true}) {
          CAPTURE(n);
          CAPTURE(width);
          const int triangle_index = static_cast<int>(triangle);
          CAPTURE(triangle_index);
          CAPTURE(accumulate);
          const DiagonalBfloat16Product p(n, width, triangle);
          std::vector<float> full = p.c, banded = p.c;
          kernels::tiles::multiply_bfloat16_tile(p.product(full.data(), accumulate));
          attention::flash::multiply_tile(p.product(banded.data(), accumulate), triangle);
          for (int64_t r = 0; r < n; ++r)
            for (int64_t col = 0; col < width; ++col) {
              if (triangle == Triangle::lower_output && col > r) continue;
              const int64_t e = r * width + col;
              if (same_bits)
                CHECK(std::memcmp(&full[e], &banded[e], sizeof(float)) == 0);
              else
                CHECK(std::abs(double(full[e]) - banded[e]) <= 2.0 * double(p.inner + 1) * 0x1p-24 *
                                                                    p.magnitude(r, col, accumulate) + 1e-30);
            }
        }
}

TEST_CASE("flash tiling: a diagonal tile's banded products give the full product's bits where they are defined") {
  for (const int64_t n : {1, 5, 12, 13, 40, 64})
    for (const int64_t width : {int64_t{8}, n})
      for (const Triangle triangle : {Triangle::lower_output, Triangle::lower_left, Triangle::upper_left})
        for (const bool accumulate : {false, true})
          for (const bool a_transposed : {false, true}) {
            CAPTURE(n);
            CAPTURE(width);
            const int triangle_index = static_cast<int>(triangle);
            CAPTURE(triangle_index);
            CAPTURE(accumulate);
            CAPTURE(a_transposed);
            const DiagonalProduct p(n, width, triangle, a_transposed);
            std::vector<float> full = p.c, banded = p.c;
            kernels::tiles::multiply_tile(p.product(full.data(), accumulate));
            attention::flash::multiply_tile(p.product(banded.data(), accumulate), triangle);
            for (int64_t r = 0; r < n; ++r)
              for (int64_t col = 0; col < width; ++col) {
                // lower_output defines C[r][c] for c <= r alone.
                if (triangle == Triangle::lower_output && col > r) continue;
                CHECK(std::memcmp(&full[r * width + col], &banded[r * width + col], sizeof(float)) == 0);
              }
          }
}

TEST_CASE("flash tiling: Triangle::none is the full product") {
  const DiagonalProduct p(64, 64, Triangle::none, false);
  std::vector<float> full = p.c, through_flash = p.c;
  kernels::tiles::multiply_tile(p.product(full.data(), true));
  attention::flash::multiply_tile(p.product(through_flash.data(), true), Triangle::none);
  CHECK(full == through_flash);
}
