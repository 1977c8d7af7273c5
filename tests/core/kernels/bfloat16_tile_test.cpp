// The bf16 tile product (core/kernels/bfloat16_tile.h): its scalar reference
// against the exact sums, and each fast engine (AMX, the dot-product kernel)
// against the reference where this CPU runs it.
#include "core/kernels/bfloat16_tile.h"

#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <vector>

#include "core/error.h"
#include "core/kernels/bfloat16.h"
#include "hwy/targets.h"
#include "kernel_testing.h"

using namespace knnformer;
using kernels::tiles::Bfloat16TileEngine;
using kernels::tiles::Bfloat16TileProduct;

namespace {

std::vector<uint16_t> random_halves(int64_t count, uint64_t seed) {
  const std::vector<float> values = testing::random_vector(count, seed);
  std::vector<uint16_t> halves(count);
  kernels::to_bfloat16(values.data(), halves.data(), count);
  return halves;
}

// A product with padded strides; C starts random so that accumulation shows.
struct RandomProduct {
  RandomProduct(int64_t rows_, int64_t inner_, int64_t width_, bool accumulate_)
      : rows(rows_), inner(inner_), width(width_), accumulate(accumulate_), a_stride(inner + 6),
        b_stride(2 * width + 4), c_stride(width + 3), a(random_halves(rows * a_stride, 41)),
        b(random_halves(inner / 2 * b_stride, 42)), c(testing::random_vector(rows * c_stride, 43)) {}

  Bfloat16TileProduct product(float* out) const {
    return {.rows = rows, .inner = inner, .width = width, .a = a.data(), .a_row_stride = a_stride,
            .b = b.data(), .b_pair_row_stride = b_stride, .c = out, .c_row_stride = c_stride,
            .accumulate = accumulate};
  }
  float a_at(int64_t r, int64_t t) const { return kernels::from_bfloat16(a[r * a_stride + t]); }
  float b_at(int64_t t, int64_t col) const { return kernels::from_bfloat16(b[(t / 2) * b_stride + 2 * col + t % 2]); }

  // Each sum is off by at most one rounding per term (unit 2⁻²⁴) of a
  // partial sum no larger than Σ|terms|: inner·2⁻²⁴·Σ|terms|, doubled for
  // the instruction's flushing of subnormals and its own order.
  double bound(int64_t r, int64_t col) const {
    double magnitude = accumulate ? std::abs(double(c[r * c_stride + col])) : 0.0;
    for (int64_t t = 0; t < inner; ++t) magnitude += std::abs(double(a_at(r, t)) * b_at(t, col));
    return 2.0 * double(inner + 1) * 0x1p-24 * magnitude + 1e-30;
  }

  int64_t rows, inner, width;
  bool accumulate;
  int64_t a_stride, b_stride, c_stride;
  std::vector<uint16_t> a, b;
  std::vector<float> c;
};

void check_reference_against_exact_sums(const RandomProduct& p) {
  std::vector<float> out = p.c;
  kernels::tiles::reference::multiply_bfloat16_tile(p.product(out.data()));
  for (int64_t r = 0; r < p.rows; ++r)
    for (int64_t col = 0; col < p.width; ++col) {
      double exact = p.accumulate ? double(p.c[r * p.c_stride + col]) : 0.0;
      for (int64_t t = 0; t < p.inner; ++t) exact += double(p.a_at(r, t)) * p.b_at(t, col);
      REQUIRE(std::abs(out[r * p.c_stride + col] - exact) <= p.bound(r, col));
    }
}

void check_kernel_against_reference(const RandomProduct& p, Bfloat16TileEngine engine) {
  std::vector<float> fast = p.c, slow = p.c;
  kernels::tiles::multiply_bfloat16_tile(p.product(fast.data()), engine);
  kernels::tiles::reference::multiply_bfloat16_tile(p.product(slow.data()));
  for (int64_t r = 0; r < p.rows; ++r)
    for (int64_t col = 0; col < p.c_stride; ++col) {
      const int64_t e = r * p.c_stride + col;
      if (col >= p.width) {
        REQUIRE(std::bit_cast<uint32_t>(fast[e]) == std::bit_cast<uint32_t>(p.c[e]));  // padding untouched
        continue;
      }
      REQUIRE(std::abs(double(fast[e]) - slow[e]) <= p.bound(r, col));
    }
}

}  // namespace

TEST_CASE("bf16 tile product: the reference is the exact sum within the rounding of its reduction") {
  for (const int64_t inner : {2, 4, 64, 130})
    for (const bool accumulate : {false, true}) {
      CAPTURE(inner);
      CAPTURE(accumulate);
      check_reference_against_exact_sums(RandomProduct(7, inner, 19, accumulate));
    }
}

TEST_CASE("bf16 tile product: each fast engine equals the reference within the rounding of its reduction") {
  for (const Bfloat16TileEngine engine : {Bfloat16TileEngine::matrix_unit, Bfloat16TileEngine::dot_product}) {
    CAPTURE(kernels::tiles::name(engine));
    if (!kernels::tiles::can_run(engine)) {
      MESSAGE("this CPU cannot run " << kernels::tiles::name(engine));
      continue;
    }
    // Rows around the dot-product kernel's blocks of 6 and the matrix unit's
    // tiles of 16 (and pairs of them), widths around vectors and tiles of 16
    // columns and the passes of 64, inner lengths from one pair to several
    // tile depths of 32, with and without a remainder.
    for (const int64_t rows : {1, 2, 5, 6, 7, 12, 13, 16, 17, 32, 33, 48, 64})
      for (const int64_t width : {1, 15, 16, 17, 32, 33, 48, 64, 65, 100})
        for (const int64_t inner : {2, 6, 32, 34, 64, 96, 130})
          for (const bool accumulate : {false, true}) {
            CAPTURE(rows);
            CAPTURE(width);
            CAPTURE(inner);
            CAPTURE(accumulate);
            check_kernel_against_reference(RandomProduct(rows, inner, width, accumulate), engine);
          }
  }
}

TEST_CASE("bf16 tile product: the engine used is one this CPU runs, and a fast one only where it beats fp32") {
  const Bfloat16TileEngine engine = kernels::tiles::bfloat16_tile_engine();
  CHECK(kernels::tiles::can_run(engine));
  CHECK(kernels::tiles::has_fast_bfloat16_tiles() == (engine != Bfloat16TileEngine::reference));
  if (kernels::tiles::can_run(Bfloat16TileEngine::matrix_unit)) CHECK(engine == Bfloat16TileEngine::matrix_unit);
}

TEST_CASE("bf16 tile product: dispatch capped below AVX-512 of Ice Lake runs the reference") {
  const int64_t avx2 = HWY_AVX2;
  bool capped = false;
  for (const int64_t target : kernels::runnable_simd_targets()) capped = capped || target == avx2;
  if (!capped) return;
  const testing::ForcedSimdTarget forced(avx2);
  CHECK_FALSE(kernels::tiles::has_fast_bfloat16_tiles());
  CHECK_FALSE(kernels::tiles::can_run(Bfloat16TileEngine::dot_product));
  CHECK_FALSE(kernels::tiles::can_run(Bfloat16TileEngine::matrix_unit));
  const RandomProduct p(7, 8, 20, true);
  std::vector<float> through_dispatch = p.c, reference = p.c;
  kernels::tiles::multiply_bfloat16_tile(p.product(through_dispatch.data()));
  kernels::tiles::reference::multiply_bfloat16_tile(p.product(reference.data()));
  CHECK(through_dispatch == reference);
}

TEST_CASE("bf16 tile product: an odd inner dimension is an error") {
  const RandomProduct p(2, 4, 3, false);
  std::vector<float> out = p.c;
  Bfloat16TileProduct odd = p.product(out.data());
  odd.inner = 3;
  CHECK_THROWS_AS(kernels::tiles::multiply_bfloat16_tile(odd), Error);
}
