#include "core/kernels/attention_tile.h"

#include <algorithm>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "core/kernels/attention_tile.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include "core/kernels/lanes-inl.h"
#include "core/kernels/map-inl.h"
#include "core/kernels/row_reductions-inl.h"
#include "core/kernels/vector_math-inl.h"

HWY_BEFORE_NAMESPACE();
namespace knnformer::kernels::tiles::HWY_NAMESPACE {

using namespace ::knnformer::kernels::HWY_NAMESPACE;

// A TileProduct's columns [first, width): the same product on fewer columns of B and C.
TileProduct columns_from(const TileProduct& p, int64_t first) {
  TileProduct right = p;
  right.b += first;
  right.c += first;
  right.width -= first;
  return right;
}

#if !HWY_HAVE_SCALABLE

// --- The register-blocked product ------------------------------------------------
//
// A block of R rows by V vectors of C stays in registers over the whole inner
// dimension: per step t, V loads of B, R broadcasts of a, R·V multiply-adds.
// The block is sized to the target's vector registers: R·V accumulators, V
// vectors of B and one broadcast must fit, 6 × 4 of 32 registers (AVX-512,
// NEON) and 6 × 2 of 16 (AVX2, SSE4).
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
constexpr int kMaxVectorsPerBlock = 4;
#elif HWY_ARCH_ARM_A64 && HWY_TARGET != HWY_EMU128 && HWY_TARGET != HWY_SCALAR
constexpr int kMaxVectorsPerBlock = 4;
#else
constexpr int kMaxVectorsPerBlock = 2;
#endif
constexpr int kMaxRowsPerBlock = 6;

// Rows [row0, row0 + R) and columns [col0, col0 + V·lanes) of C; when
// kPartialLast, the last vector holds only the lanes of last_lanes.
template <int R, int V, bool kPartialLast>
HWY_INLINE void multiply_block(const TileProduct& p, int64_t row0, int64_t col0, hn::Mask<FloatTag> last_lanes) {
  const FloatTag d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  const auto load = [&](int v, const float* at) HWY_ATTR {
    return kPartialLast && v == V - 1 ? hn::MaskedLoad(last_lanes, d, at) : hn::LoadU(d, at);
  };

  FloatVector sums[R][V];
  float* const c = p.c + row0 * p.c_row_stride + col0;
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) sums[r][v] = p.accumulate ? load(v, c + r * p.c_row_stride + v * lanes) : hn::Zero(d);

  const float* a_rows[R];
  for (int r = 0; r < R; ++r) a_rows[r] = p.a + (row0 + r) * p.a_row_stride;
  const float* b = p.b + col0;
  for (int64_t t = 0; t < p.inner; ++t) {
    FloatVector b_vectors[V];
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) b_vectors[v] = load(v, b + v * lanes);
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r) {
      const FloatVector a_value = hn::Set(d, a_rows[r][t * p.a_inner_stride]);
#pragma GCC unroll 4
      for (int v = 0; v < V; ++v) sums[r][v] = hn::MulAdd(a_value, b_vectors[v], sums[r][v]);
    }
    b += p.b_row_stride;
  }

#pragma GCC unroll 6
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) {
      float* const out = c + r * p.c_row_stride + v * lanes;
      if (kPartialLast && v == V - 1) {
        hn::BlendedStore(sums[r][v], last_lanes, d, out);
      } else {
        hn::StoreU(sums[r][v], d, out);
      }
    }
}

// All rows of one column pass: blocks of the full height, then the remainder.
template <int V, bool kPartialLast>
HWY_INLINE void multiply_columns(const TileProduct& p, int64_t col0, hn::Mask<FloatTag> last_lanes) {
  int64_t row = 0;
  for (; row + kMaxRowsPerBlock <= p.rows; row += kMaxRowsPerBlock)
    multiply_block<kMaxRowsPerBlock, V, kPartialLast>(p, row, col0, last_lanes);
  switch (p.rows - row) {
    case 5: multiply_block<5, V, kPartialLast>(p, row, col0, last_lanes); break;
    case 4: multiply_block<4, V, kPartialLast>(p, row, col0, last_lanes); break;
    case 3: multiply_block<3, V, kPartialLast>(p, row, col0, last_lanes); break;
    case 2: multiply_block<2, V, kPartialLast>(p, row, col0, last_lanes); break;
    case 1: multiply_block<1, V, kPartialLast>(p, row, col0, last_lanes); break;
    default: break;
  }
}

template <bool kPartialLast>
HWY_INLINE void multiply_column_pass(const TileProduct& p, int64_t col0, int64_t vectors,
                                     hn::Mask<FloatTag> last_lanes) {
  static_assert(kMaxVectorsPerBlock == 2 || kMaxVectorsPerBlock == 4);
  switch (vectors) {
    case 4: if constexpr (kMaxVectorsPerBlock == 4) multiply_columns<4, kPartialLast>(p, col0, last_lanes); break;
    case 3: if constexpr (kMaxVectorsPerBlock == 4) multiply_columns<3, kPartialLast>(p, col0, last_lanes); break;
    case 2: multiply_columns<2, kPartialLast>(p, col0, last_lanes); break;
    default: multiply_columns<1, kPartialLast>(p, col0, last_lanes); break;
  }
}

void multiply_tile(const TileProduct& p) {
  const FloatTag d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  // Without exact masked loads and stores, the columns past the last full
  // vector (fewer than a vector's lanes) are left to the scalar loop.
  const int64_t vector_columns = kMaskedMemoryIsExact ? p.width : p.width / lanes * lanes;
  const int64_t columns_per_pass = kMaxVectorsPerBlock * lanes;
  for (int64_t col0 = 0; col0 < vector_columns; col0 += columns_per_pass) {
    const int64_t columns = std::min(columns_per_pass, vector_columns - col0);
    const int64_t vectors = (columns + lanes - 1) / lanes;
    const int64_t last_vector_lanes = columns - (vectors - 1) * lanes;
    if (last_vector_lanes == lanes) {
      multiply_column_pass<false>(p, col0, vectors, hn::FirstN(d, lanes));
    } else {
      multiply_column_pass<true>(p, col0, vectors, hn::FirstN(d, static_cast<size_t>(last_vector_lanes)));
    }
  }
  if (vector_columns < p.width) reference::multiply_tile(columns_from(p, vector_columns));
}

#else  // HWY_HAVE_SCALABLE

// --- The product on scalable vectors (SVE) ----------------------------------------
//
// Vectors of a size unknown to the compiler cannot form arrays, so the block
// is one row by four vectors of C, each accumulator named; the masked loads
// and stores of SVE touch only their lanes, so the last vector is masked.
void multiply_row(const TileProduct& p, int64_t row, int64_t col0, int64_t columns) {
  const FloatTag d;
  const size_t lanes = hn::Lanes(d);
  const auto lanes_of = [&](size_t v) HWY_ATTR {
    const int64_t left = columns - static_cast<int64_t>(v * lanes);
    return hn::FirstN(d, left <= 0 ? 0 : static_cast<size_t>(left));
  };
  const auto mask0 = lanes_of(0), mask1 = lanes_of(1), mask2 = lanes_of(2), mask3 = lanes_of(3);
  float* const c = p.c + row * p.c_row_stride + col0;
  FloatVector sum0 = p.accumulate ? hn::MaskedLoad(mask0, d, c) : hn::Zero(d);
  FloatVector sum1 = p.accumulate ? hn::MaskedLoad(mask1, d, c + lanes) : hn::Zero(d);
  FloatVector sum2 = p.accumulate ? hn::MaskedLoad(mask2, d, c + 2 * lanes) : hn::Zero(d);
  FloatVector sum3 = p.accumulate ? hn::MaskedLoad(mask3, d, c + 3 * lanes) : hn::Zero(d);
  const float* a_row = p.a + row * p.a_row_stride;
  const float* b = p.b + col0;
  for (int64_t t = 0; t < p.inner; ++t) {
    const FloatVector a_value = hn::Set(d, a_row[t * p.a_inner_stride]);
    sum0 = hn::MulAdd(a_value, hn::MaskedLoad(mask0, d, b), sum0);
    sum1 = hn::MulAdd(a_value, hn::MaskedLoad(mask1, d, b + lanes), sum1);
    sum2 = hn::MulAdd(a_value, hn::MaskedLoad(mask2, d, b + 2 * lanes), sum2);
    sum3 = hn::MulAdd(a_value, hn::MaskedLoad(mask3, d, b + 3 * lanes), sum3);
    b += p.b_row_stride;
  }
  hn::BlendedStore(sum0, mask0, d, c);
  hn::BlendedStore(sum1, mask1, d, c + lanes);
  hn::BlendedStore(sum2, mask2, d, c + 2 * lanes);
  hn::BlendedStore(sum3, mask3, d, c + 3 * lanes);
}

void multiply_tile(const TileProduct& p) {
  const int64_t columns_per_pass = 4 * static_cast<int64_t>(hn::Lanes(FloatTag()));
  for (int64_t col0 = 0; col0 < p.width; col0 += columns_per_pass)
    for (int64_t row = 0; row < p.rows; ++row) multiply_row(p, row, col0, std::min(columns_per_pass, p.width - col0));
}

#endif  // HWY_HAVE_SCALABLE

// --- The softmax's exponentials ---------------------------------------------------

float exp_row(const float* x, int64_t count, float scale, float shift, float* y) {
  FloatVector totals = hn::Zero(FloatTag());
  for_each_lane_group(count, [&](int64_t j, auto lanes) HWY_ATTR {
    const FloatTag d;
    const FloatVector exponents = hn::Mul(hn::Sub(lanes.load(x + j), hn::Set(d, shift)), hn::Set(d, scale));
    const FloatVector clamped = hn::Min(hn::Max(exponents, hn::Set(d, kLowestSoftmaxExponent)), hn::Zero(d));
    const FloatVector values = exp_on_softmax_range(clamped);
    lanes.store(y + j, values);
    totals = hn::Add(totals, lanes.loaded_only(values));
  });
  return sum_of_lanes(totals);
}

void score_gradient_row(const float* probabilities, float out_dot, int64_t count, float* score_grads) {
  map_row(score_grads, count, [out_dot](FloatVector a, FloatVector dp) HWY_ATTR {
    return hn::Mul(a, hn::Sub(dp, hn::Set(FloatTag(), out_dot)));
  }, probabilities, score_grads);
}

}  // namespace knnformer::kernels::tiles::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE

#include <cmath>

#include "core/kernels/simd_target.h"

namespace knnformer::kernels::tiles {

HWY_EXPORT(multiply_tile);
HWY_EXPORT(exp_row);
HWY_EXPORT(score_gradient_row);

void multiply_tile(const TileProduct& product) { KNNFORMER_DISPATCH(multiply_tile)(product); }

float exp_row(const float* x, int64_t count, float scale, float shift, float* y) {
  return KNNFORMER_DISPATCH(exp_row)(x, count, scale, shift, y);
}

void score_gradient_row(const float* probabilities, float out_dot, int64_t count, float* score_grads) {
  KNNFORMER_DISPATCH(score_gradient_row)(probabilities, out_dot, count, score_grads);
}

namespace reference {

void multiply_tile(const TileProduct& p) {
  for (int64_t r = 0; r < p.rows; ++r)
    for (int64_t c = 0; c < p.width; ++c) {
      float total = p.accumulate ? p.c[r * p.c_row_stride + c] : 0.0f;
      for (int64_t t = 0; t < p.inner; ++t)
        total += p.a[r * p.a_row_stride + t * p.a_inner_stride] * p.b[t * p.b_row_stride + c];
      p.c[r * p.c_row_stride + c] = total;
    }
}

float exp_row(const float* x, int64_t count, float scale, float shift, float* y) {
  float total = 0.0f;
  for (int64_t j = 0; j < count; ++j) {
    y[j] = std::exp(std::clamp(scale * (x[j] - shift), kLowestSoftmaxExponent, 0.0f));
    total += y[j];
  }
  return total;
}

void score_gradient_row(const float* probabilities, float out_dot, int64_t count, float* score_grads) {
  for (int64_t j = 0; j < count; ++j) score_grads[j] = probabilities[j] * (score_grads[j] - out_dot);
}

}  // namespace reference

}  // namespace knnformer::kernels::tiles

#endif  // HWY_ONCE
