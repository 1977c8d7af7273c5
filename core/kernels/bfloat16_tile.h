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
//   if (kernels::tiles::has_bfloat16_dot_product()) kernels::tiles::multiply_bfloat16_tile(p);
//
// multiply_bfloat16_tile runs the register-blocked product (6 rows by 4
// vectors of C in registers, as the fp32 tile product on AVX-512) on the
// bf16 dot-product instruction where has_bfloat16_dot_product() says the CPU
// has it and dispatch allows AVX-512 of Ice Lake or later (KNNFORMER_SIMD,
// core/kernels/simd_target.h); elsewhere it runs the scalar reference, far
// slower, which is why callers ask first. The kernel is written with the
// instruction's intrinsics rather than Highway: Highway 1.0 has no bf16 dot
// product and widens bfloat16 to fp32 for two multiply-adds, which gains
// nothing over fp32 tiles.
//
// The instruction rounds after each of its two products (and flushes
// subnormals), so results differ from the reference's in the last bits of a
// sum; the tests bound the difference by the reduction length.
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

// Whether multiply_bfloat16_tile runs on the CPU's bf16 dot product here and now.
bool has_bfloat16_dot_product();

void multiply_bfloat16_tile(const Bfloat16TileProduct& product);

namespace reference {
void multiply_bfloat16_tile(const Bfloat16TileProduct& product);
}  // namespace reference

}  // namespace knnformer::kernels::tiles
