#include "layers/attention/tile_kernels.h"

#include <algorithm>
#include <cmath>

#include "core/kernels/avx512_intrinsics.h"

namespace knnformer::attention::tiles {

// --- scalar references ---------------------------------------------------------

void multiply_tile_reference(const TileProduct& p) {
  for (int64_t r = 0; r < p.rows; ++r)
    for (int64_t c = 0; c < p.width; ++c) {
      float total = p.accumulate ? p.c[r * p.c_row_stride + c] : 0.0f;
      for (int64_t t = 0; t < p.inner; ++t)
        total += p.a[r * p.a_row_stride + t * p.a_inner_stride] * p.b[t * p.b_row_stride + c];
      p.c[r * p.c_row_stride + c] = total;
    }
}

constexpr float kLowestExponent = -87.0f;

float clamped_exponent(float x, float scale, float shift) {
  return std::clamp(scale * (x - shift), kLowestExponent, 0.0f);
}

float exp_row_reference(const float* x, int64_t count, float scale, float shift, float* y) {
  float total = 0.0f;
  for (int64_t j = 0; j < count; ++j) {
    y[j] = std::exp(clamped_exponent(x[j], scale, shift));
    total += y[j];
  }
  return total;
}

#if defined(__AVX512F__)

// --- AVX-512: the register-blocked product ---------------------------------------

namespace {

constexpr int kLanes = 16;
constexpr int kMaxRowsPerBlock = 6;     // 6 rows × 4 vectors = 24 accumulators of 32 registers
constexpr int kMaxVectorsPerBlock = 4;  // 64 output columns per pass

__mmask16 lanes_mask(int64_t lanes) { return lanes >= kLanes ? __mmask16(0xFFFF) : __mmask16((1u << lanes) - 1); }

// Rows [row0, row0 + R) and columns [col0, col0 + 16·V) of C, the last vector
// limited to the lanes in last_mask. Accumulators stay in registers over the
// whole inner dimension: per step t, V loads of B, R broadcasts of a, R·V FMAs.
template <int R, int V>
void multiply_block(const TileProduct& p, int64_t row0, int64_t col0, __mmask16 last_mask) {
  __mmask16 masks[V];
  for (int v = 0; v < V; ++v) masks[v] = v == V - 1 ? last_mask : __mmask16(0xFFFF);

  __m512 sums[R][V];
  float* const c = p.c + row0 * p.c_row_stride + col0;
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v)
      sums[r][v] = p.accumulate ? _mm512_maskz_loadu_ps(masks[v], c + r * p.c_row_stride + v * kLanes)
                                : _mm512_setzero_ps();

  const float* a_rows[R];
  for (int r = 0; r < R; ++r) a_rows[r] = p.a + (row0 + r) * p.a_row_stride;
  const float* b = p.b + col0;
  for (int64_t t = 0; t < p.inner; ++t) {
    __m512 b_vectors[V];
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) b_vectors[v] = _mm512_maskz_loadu_ps(masks[v], b + v * kLanes);
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r) {
      const __m512 a_value = _mm512_set1_ps(a_rows[r][t * p.a_inner_stride]);
#pragma GCC unroll 4
      for (int v = 0; v < V; ++v) sums[r][v] = _mm512_fmadd_ps(a_value, b_vectors[v], sums[r][v]);
    }
    b += p.b_row_stride;
  }

#pragma GCC unroll 6
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) _mm512_mask_storeu_ps(c + r * p.c_row_stride + v * kLanes, masks[v], sums[r][v]);
}

// All rows of one column pass: blocks of the full height, then the remainder.
template <int V>
void multiply_columns(const TileProduct& p, int64_t col0, __mmask16 last_mask) {
  int64_t row = 0;
  for (; row + kMaxRowsPerBlock <= p.rows; row += kMaxRowsPerBlock)
    multiply_block<kMaxRowsPerBlock, V>(p, row, col0, last_mask);
  switch (p.rows - row) {
    case 5: multiply_block<5, V>(p, row, col0, last_mask); break;
    case 4: multiply_block<4, V>(p, row, col0, last_mask); break;
    case 3: multiply_block<3, V>(p, row, col0, last_mask); break;
    case 2: multiply_block<2, V>(p, row, col0, last_mask); break;
    case 1: multiply_block<1, V>(p, row, col0, last_mask); break;
    default: break;
  }
}

// --- AVX-512: exp ----------------------------------------------------------------

// exp(x) for x ∈ [−87, 0]: exp(x) = 2ⁿ·exp(r) with n = round(x·log2 e) and
// r = x − n·ln 2 ∈ [−ln2/2, ln2/2] (ln 2 split in two so that n·ln2_high is
// exact); exp(r) by its Taylor series to r⁷, whose truncation error
// r⁸/8! < 6e-9 is below float rounding. scalef applies 2ⁿ without forming
// the exponent bits by hand.
__m512 exp_vector(__m512 x) {
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145751953125f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.428606765330187045e-06f), r);
  __m512 series = _mm512_set1_ps(1.0f / 5040.0f);
  series = _mm512_fmadd_ps(series, r, _mm512_set1_ps(1.0f / 720.0f));
  series = _mm512_fmadd_ps(series, r, _mm512_set1_ps(1.0f / 120.0f));
  series = _mm512_fmadd_ps(series, r, _mm512_set1_ps(1.0f / 24.0f));
  series = _mm512_fmadd_ps(series, r, _mm512_set1_ps(1.0f / 6.0f));
  series = _mm512_fmadd_ps(series, r, _mm512_set1_ps(0.5f));
  series = _mm512_fmadd_ps(series, r, _mm512_set1_ps(1.0f));
  series = _mm512_fmadd_ps(series, r, _mm512_set1_ps(1.0f));
  return _mm512_scalef_ps(series, n);
}

}  // namespace

void multiply_tile(const TileProduct& p) {
  constexpr int64_t kColumnsPerPass = kMaxVectorsPerBlock * kLanes;
  for (int64_t col0 = 0; col0 < p.width; col0 += kColumnsPerPass) {
    const int64_t columns = std::min(kColumnsPerPass, p.width - col0);
    const int64_t vectors = (columns + kLanes - 1) / kLanes;
    const __mmask16 last_mask = lanes_mask(columns - (vectors - 1) * kLanes);
    switch (vectors) {
      case 4: multiply_columns<4>(p, col0, last_mask); break;
      case 3: multiply_columns<3>(p, col0, last_mask); break;
      case 2: multiply_columns<2>(p, col0, last_mask); break;
      default: multiply_columns<1>(p, col0, last_mask); break;
    }
  }
}

float exp_row(const float* x, int64_t count, float scale, float shift, float* y) {
  const __m512 scales = _mm512_set1_ps(scale), shifts = _mm512_set1_ps(shift);
  const __m512 lowest = _mm512_set1_ps(kLowestExponent), zero = _mm512_setzero_ps();
  __m512 totals = zero;
  for (int64_t j = 0; j < count; j += kLanes) {
    const __mmask16 mask = lanes_mask(count - j);
    const __m512 exponents = _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(mask, x + j), shifts), scales);
    const __m512 values = exp_vector(_mm512_min_ps(_mm512_max_ps(exponents, lowest), zero));
    _mm512_mask_storeu_ps(y + j, mask, values);
    totals = _mm512_mask_add_ps(totals, mask, totals, values);
  }
  return _mm512_reduce_add_ps(totals);
}

#else  // no AVX-512: the references are the kernels

void multiply_tile(const TileProduct& product) { multiply_tile_reference(product); }

float exp_row(const float* x, int64_t count, float scale, float shift, float* y) {
  return exp_row_reference(x, count, scale, shift, y);
}


#endif

}  // namespace knnformer::attention::tiles
