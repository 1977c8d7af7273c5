#pragma once
// The inner kernels of fused attention (layers/attention/exact_attention.h,
// the key index's scoring): what one tile of queries does with one tile of
// keys.
//
// multiply_tile is one small dense product, C (+)= A·B, whose left operand is
// read through two strides. That single kernel serves every product of
// flash-style attention (tiles of Br queries by Bc keys, head width d):
//
//   S   = Q Kᵀ    A = Q tile [Br × d],         B = a packed panel of Kᵀ [d × Bc]
//   O  += P V     A = P tile [Br × Bc],        B = V rows [Bc × d]
//   dV += Pᵀ dO   A = P tile read transposed,  B = dO rows [Br × d]
//
// exp_row is the softmax's row pass over a score tile (its maximum:
// kernels::selection::largest), score_gradient_row its backward.
//
// knnformer::kernels::tiles runs the vector code of the best SIMD target the
// CPU has (core/kernels/simd_target.h): the product register-blocked, a few
// rows by a few vectors of C held in registers over the whole inner
// dimension, with fused multiply-adds where the target has them; exp_row with
// an exp for the clamped range alone (core/kernels/vector_math-inl.h, within
// 1 ulp). knnformer::kernels::tiles::reference holds the scalar loops the
// tests compare them with.
#include <cstdint>

namespace knnformer::kernels::tiles {

// C[r][c] = (accumulate ? C[r][c] : 0) + Σ_t a(r, t)·B[t][c]
// for r < rows, c < width, t < inner, where a(r, t) = a[r·a_row_stride + t·a_inner_stride]
// and B, C are row-major with leading dimensions b_row_stride, c_row_stride.
// Nothing of C past column width is read or written.
struct TileProduct {
  int64_t rows = 0, inner = 0, width = 0;
  const float* a = nullptr;
  int64_t a_row_stride = 0, a_inner_stride = 1;
  const float* b = nullptr;
  int64_t b_row_stride = 0;
  float* c = nullptr;
  int64_t c_row_stride = 0;
  bool accumulate = false;
};

void multiply_tile(const TileProduct& product);

// y[j] = exp(scale·(x[j] − shift)) for j < count, scale > 0; returns Σ_j y[j].
// For softmax weights, whose exponent is ≤ 0 but for rounding: the exponent
// is clamped to [−87, 0], so y ∈ [0, 1] and nothing overflows or turns NaN
// however large the scores (exp(−87) ≈ 1.6e-38 is negligible against a
// softmax sum ≥ 1). x and y may be the same array.
inline constexpr float kLowestSoftmaxExponent = -87.0f;
float exp_row(const float* x, int64_t count, float scale, float shift, float* y);

// dS = A ∘ (dP − D) over one row of a tile, the softmax's backward:
// score_grads[j] = probabilities[j]·(score_grads[j] − out_dot) for j < count,
// with D = out_dot = dO_i·O_i (docs/design.md §5.1).
void score_gradient_row(const float* probabilities, float out_dot, int64_t count, float* score_grads);

namespace reference {
void multiply_tile(const TileProduct& product);
float exp_row(const float* x, int64_t count, float scale, float shift, float* y);
void score_gradient_row(const float* probabilities, float out_dot, int64_t count, float* score_grads);
}  // namespace reference

}  // namespace knnformer::kernels::tiles
