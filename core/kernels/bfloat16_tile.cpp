#include "core/kernels/bfloat16_tile.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <string>

#include "core/error.h"
#include "core/kernels/bfloat16.h"
#include "core/kernels/bfloat16_matrix_unit.h"
#include "core/kernels/simd_target.h"
#include "hwy/targets.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace knnformer::kernels::tiles {

namespace {

#if defined(__x86_64__)
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bf16")

// --- The register-blocked product on vdpbf16ps -------------------------------------
//
// A block of R rows by V vectors of C (16 columns each) stays in registers
// over the whole inner dimension: per pair of steps t, t + 1, V loads of B's
// pairs, R broadcasts of a's pair, R·V dot products. 6 × 4 accumulators, 4
// vectors of B and a broadcast fit AVX-512's 32 registers.
constexpr int64_t kLanes = 16;
constexpr int kRowsPerBlock = 6;
constexpr int kMaxVectorsPerBlock = 4;

// Rows [row0, row0 + R) and columns [col0, col0 + V·16) of C, the lanes of
// vector v limited to lanes[v] (all but the last are full).
template <int R, int V>
inline void multiply_block(const Bfloat16TileProduct& p, int64_t row0, int64_t col0, const __mmask16 lanes[V]) {
  float* const c = p.c + row0 * p.c_row_stride + col0;
  __m512 sums[R][V];
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v)
      sums[r][v] = p.accumulate ? _mm512_maskz_loadu_ps(lanes[v], c + r * p.c_row_stride + v * kLanes)
                                : _mm512_setzero_ps();

  const uint16_t* a_rows[R];
  for (int r = 0; r < R; ++r) a_rows[r] = p.a + (row0 + r) * p.a_row_stride;
  const uint16_t* b = p.b + 2 * col0;
  for (int64_t t = 0; t < p.inner; t += 2) {
    __m512bh b_pairs[V];
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) b_pairs[v] = (__m512bh)_mm512_maskz_loadu_epi32(lanes[v], b + 2 * v * kLanes);
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r) {
      uint32_t pair;
      std::memcpy(&pair, a_rows[r] + t, sizeof pair);
      const auto a_pair = (__m512bh)_mm512_set1_epi32(static_cast<int>(pair));
#pragma GCC unroll 4
      for (int v = 0; v < V; ++v) sums[r][v] = _mm512_dpbf16_ps(sums[r][v], a_pair, b_pairs[v]);
    }
    b += p.b_pair_row_stride;
  }

#pragma GCC unroll 6
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) _mm512_mask_storeu_ps(c + r * p.c_row_stride + v * kLanes, lanes[v], sums[r][v]);
}

// All rows of one column pass: blocks of the full height, then the remainder.
template <int V>
inline void multiply_columns(const Bfloat16TileProduct& p, int64_t col0, const __mmask16 lanes[V]) {
  int64_t row = 0;
  for (; row + kRowsPerBlock <= p.rows; row += kRowsPerBlock) multiply_block<kRowsPerBlock, V>(p, row, col0, lanes);
  switch (p.rows - row) {
    case 5: multiply_block<5, V>(p, row, col0, lanes); break;
    case 4: multiply_block<4, V>(p, row, col0, lanes); break;
    case 3: multiply_block<3, V>(p, row, col0, lanes); break;
    case 2: multiply_block<2, V>(p, row, col0, lanes); break;
    case 1: multiply_block<1, V>(p, row, col0, lanes); break;
    default: break;
  }
}

void multiply_on_dot_product(const Bfloat16TileProduct& p) {
  constexpr int64_t kColumnsPerPass = kMaxVectorsPerBlock * kLanes;
  for (int64_t col0 = 0; col0 < p.width; col0 += kColumnsPerPass) {
    const int64_t columns = std::min(kColumnsPerPass, p.width - col0);
    const int64_t vectors = (columns + kLanes - 1) / kLanes;
    __mmask16 lanes[kMaxVectorsPerBlock];
    for (int64_t v = 0; v < vectors; ++v) {
      const int64_t in_vector = std::min(kLanes, columns - v * kLanes);
      lanes[v] = static_cast<__mmask16>((1u << in_vector) - 1u);
    }
    switch (vectors) {
      case 4: multiply_columns<4>(p, col0, lanes); break;
      case 3: multiply_columns<3>(p, col0, lanes); break;
      case 2: multiply_columns<2>(p, col0, lanes); break;
      default: multiply_columns<1>(p, col0, lanes); break;
    }
  }
}

#pragma GCC pop_options

// The part of p of rows [row0, row0 + rows), columns [col0, col0 + width)
// and inner steps [inner0, inner0 + inner); inner0 is even.
Bfloat16TileProduct part(const Bfloat16TileProduct& p, int64_t row0, int64_t rows, int64_t col0, int64_t width,
                         int64_t inner0, int64_t inner, bool accumulate) {
  Bfloat16TileProduct sub = p;
  sub.rows = rows, sub.width = width, sub.inner = inner, sub.accumulate = accumulate;
  sub.a = p.a + row0 * p.a_row_stride + inner0;
  sub.b = p.b + (inner0 / 2) * p.b_pair_row_stride + 2 * col0;
  sub.c = p.c + row0 * p.c_row_stride + col0;
  return sub;
}

// The whole tiles on the matrix unit, then what they leave (the inner steps
// past the last whole 32, the columns and the rows past the last whole 16) on
// the dot-product kernel.
void multiply_on_matrix_unit(const Bfloat16TileProduct& p) {
  using matrix_unit::kTileColumns, matrix_unit::kTileInner, matrix_unit::kTileRows;
  const int64_t rows = p.rows - p.rows % kTileRows, width = p.width - p.width % kTileColumns;
  const int64_t inner = p.inner - p.inner % kTileInner;
  if (rows == 0 || width == 0 || inner == 0) {
    multiply_on_dot_product(p);
    return;
  }
  matrix_unit::multiply_whole_tiles(part(p, 0, rows, 0, width, 0, inner, p.accumulate));
  if (inner < p.inner) multiply_on_dot_product(part(p, 0, rows, 0, width, inner, p.inner - inner, true));
  if (width < p.width) multiply_on_dot_product(part(p, 0, rows, width, p.width - width, 0, p.inner, p.accumulate));
  if (rows < p.rows) multiply_on_dot_product(part(p, rows, p.rows - rows, 0, p.width, 0, p.inner, p.accumulate));
}

#endif  // __x86_64__

constexpr const char* kEngineNames[] = {"AMX", "AVX512_BF16", "scalar reference"};

}  // namespace

const char* name(Bfloat16TileEngine engine) { return kEngineNames[static_cast<int>(engine)]; }

bool can_run(Bfloat16TileEngine engine) {
#if defined(__x86_64__)
  const bool dot_product = __builtin_cpu_supports("avx512bf16") && simd_target() <= HWY_AVX3_DL;
  switch (engine) {
    case Bfloat16TileEngine::matrix_unit: return dot_product && matrix_unit::is_usable();
    case Bfloat16TileEngine::dot_product: return dot_product;
    case Bfloat16TileEngine::reference: return true;
  }
#endif
  return engine == Bfloat16TileEngine::reference;
}

Bfloat16TileEngine bfloat16_tile_engine() {
  if (can_run(Bfloat16TileEngine::matrix_unit)) return Bfloat16TileEngine::matrix_unit;
#if defined(__x86_64__)
  if (can_run(Bfloat16TileEngine::dot_product) && __builtin_cpu_is("amd")) return Bfloat16TileEngine::dot_product;
#endif
  return Bfloat16TileEngine::reference;
}

bool has_fast_bfloat16_tiles() { return bfloat16_tile_engine() != Bfloat16TileEngine::reference; }

namespace {

// The product on an engine that can run. The checks build no message unless
// they fail: attention calls this once per tile.
void multiply_on(Bfloat16TileEngine engine, const Bfloat16TileProduct& product) {
  if (product.inner % 2 != 0)
    throw Error("multiply_bfloat16_tile: the inner dimension must be even (pad it with zeros)");
  switch (engine) {
#if defined(__x86_64__)
    case Bfloat16TileEngine::matrix_unit: multiply_on_matrix_unit(product); return;
    case Bfloat16TileEngine::dot_product: multiply_on_dot_product(product); return;
#endif
    default: reference::multiply_bfloat16_tile(product); return;
  }
}

}  // namespace

void multiply_bfloat16_tile(const Bfloat16TileProduct& product) { multiply_on(bfloat16_tile_engine(), product); }

void multiply_bfloat16_tile(const Bfloat16TileProduct& product, Bfloat16TileEngine engine) {
  if (!can_run(engine)) throw Error(std::string("multiply_bfloat16_tile: this CPU cannot run ") + name(engine));
  multiply_on(engine, product);
}

namespace reference {

// Each pair in the instruction's order: the odd product first, each sum rounded.
void multiply_bfloat16_tile(const Bfloat16TileProduct& p) {
  for (int64_t r = 0; r < p.rows; ++r)
    for (int64_t c = 0; c < p.width; ++c) {
      float total = p.accumulate ? p.c[r * p.c_row_stride + c] : 0.0f;
      for (int64_t t = 0; t < p.inner; t += 2) {
        const uint16_t* a = p.a + r * p.a_row_stride + t;
        const uint16_t* b = p.b + (t / 2) * p.b_pair_row_stride + 2 * c;
        total += from_bfloat16(a[1]) * from_bfloat16(b[1]);
        total += from_bfloat16(a[0]) * from_bfloat16(b[0]);
      }
      p.c[r * p.c_row_stride + c] = total;
    }
}

}  // namespace reference

}  // namespace knnformer::kernels::tiles
