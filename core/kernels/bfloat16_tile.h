#pragma once
// The tile product of fused attention (core/kernels/attention_tile.h) with
// bfloat16 operands and fp32 accumulation: exact attention's products under
// `precision = bf16` (layers/attention/exact_attention.h, docs/design.md §2.5).
//
// The CPU's bf16 dot-product instruction (AVX512_BF16's vdpbf16ps) multiplies
// pairs: each fp32 lane adds a0·b0 + a1·b1 of two adjacent bfloat16 pairs. So
// the operands pair up along the inner dimension t:
//
//   A  row-major [rows × inner] bfloat16: a(r, t) and a(r, t + 1) adjacent,
//      as any bfloat16 copy of a row-major matrix has them;
//   B  pairs of rows, [inner/2 × width × 2]: B(t, c) at
//      b[(t/2)·b_pair_row_stride + 2c + t%2] (kernels::to_bfloat16_pairs
//      of rows t and t + 1), so that one load takes a pair for each of 16
//      columns and one broadcast of a's pair multiplies them all.
//
//   kernels::tiles::Bfloat16TileProduct p{.rows = 64, .inner = 64, .width = 64, ...};
//   if (kernels::tiles::has_fast_bfloat16_tiles()) kernels::tiles::multiply_bfloat16_tile(p);
//
// Three engines run it, and bfloat16_tile_engine() names the one used here:
//   matrix_unit  Intel AMX's tile product (core/kernels/bfloat16_matrix_unit.h)
//                on the whole 16 × 16 × 32 blocks, the dot-product kernel on
//                the edges: Sapphire Rapids and later.
//   dot_product  the register-blocked product (6 rows by 4 vectors of C in
//                registers, as the fp32 tile product on AVX-512) on
//                vdpbf16ps: where it beats fp32 tiles, AMD's Zen 4 and later,
//                which run it at twice the rate of fp32 multiply-adds (460
//                against 230 GFLOP/s on 2 cores). Intel's CPUs with the
//                instruction have AMX from Sapphire Rapids on, and run it at
//                half their fp32 rate (190 against 444 GFLOP/s on 2 cores of
//                one), so there it is used only for the matrix unit's edges.
//   reference    the scalar reference, far slower than fp32 tiles: callers
//                ask has_fast_bfloat16_tiles() first and keep fp32 otherwise.
// Dispatch must allow AVX-512 of Ice Lake or later (KNNFORMER_SIMD,
// core/kernels/simd_target.h) for either fast engine. The kernels are written
// with the instructions' intrinsics rather than Highway: Highway 1.0 has no
// bf16 dot product (it widens bfloat16 to fp32 for two multiply-adds, which
// gains nothing over fp32 tiles) and no AMX.
//
// The instructions round after each product (and flush subnormals), so
// results differ from the reference's in the last bits of a sum, and between
// engines; the tests bound the difference by the reduction length.
#include <cstdint>

namespace knnformer::kernels::tiles {

// C[r][c] = (accumulate ? C[r][c] : 0) + Σ_t A[r][t]·B(t, c) for r < rows,
// c < width, t < inner, with A and B laid out as above and C row-major with
// leading dimension c_row_stride. inner must be even: an odd inner dimension
// is padded with a zero column of A (and a zero row of B). Nothing of C past
// column width is read or written.
struct Bfloat16TileProduct {
  int64_t rows = 0, inner = 0, width = 0;
  const uint16_t* a = nullptr;
  int64_t a_row_stride = 0;
  const uint16_t* b = nullptr;
  int64_t b_pair_row_stride = 0;  // in uint16_t, at least 2·width
  float* c = nullptr;
  int64_t c_row_stride = 0;
  bool accumulate = false;
};

enum class Bfloat16TileEngine { matrix_unit, dot_product, reference };

// The engine's name for messages: "AMX", "AVX512_BF16", "scalar reference".
const char* name(Bfloat16TileEngine engine);

// Whether this CPU, its operating system and dispatch's cap let the engine run.
bool can_run(Bfloat16TileEngine engine);

// The engine multiply_bfloat16_tile uses here and now (see above).
Bfloat16TileEngine bfloat16_tile_engine();

// Whether that engine is faster than fp32 tiles: a fast engine, not the reference.
bool has_fast_bfloat16_tiles();

void multiply_bfloat16_tile(const Bfloat16TileProduct& product);

// On a given engine, one that can_run (tests compare each with the reference).
void multiply_bfloat16_tile(const Bfloat16TileProduct& product, Bfloat16TileEngine engine);

namespace reference {
void multiply_bfloat16_tile(const Bfloat16TileProduct& product);
}  // namespace reference

}  // namespace knnformer::kernels::tiles
