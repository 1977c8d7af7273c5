#pragma once
// Rotary position embedding (RoPE; Su et al., "RoFormer", 2021): each pair of
// a query's or key's coordinates (2i, 2i+1) is turned by the angle t·θ_i,
// θ_i = 10000^(−2i/d), where t is the row's position. A rotated q at
// position t and a rotated k at position s then score
//   q_t·k_s = qᵀ R(θ·(s − t)) k,
// a function of the offset s − t alone: attention sees relative positions,
// where a learned position embedding ("wpe") adds absolute ones to the
// residual stream. Rotations keep norms, so the Cauchy–Schwarz bounds of the
// kNN indexes hold for rotated keys as for any others.
//
//   Tensor q_rotated = ops::rotary_embedding(q);  // q [B, H, T, d], d even: row t at position t
//   ops::rotate_at_position(rows, n, d, t);       // n rows, all at position t, in place (generation)
//
// The backward turns the gradient back by −t·θ_i (a rotation's inverse is
// its transpose).
#include <cstdint>

#include "core/tensor.h"

namespace knnformer::ops {

// x [..., T, d] with d even -> the same shape, row t of every [T, d] block
// rotated for position t.
Tensor rotary_embedding(const Tensor& x);

// Rotates `count` consecutive rows of d values (d even), all for position
// `position`, in place: what rotary_embedding does to row `position` of a block.
void rotate_at_position(float* rows, int64_t count, int64_t dim, int64_t position);

}  // namespace knnformer::ops
