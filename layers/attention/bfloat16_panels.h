#pragma once
// The bfloat16 operands of exact attention's products under `precision =
// bf16` (exact_attention.h, docs/design.md §5.2): Q, K, V and dO packed once
// per call, tile by tile, into the layouts of the bf16 tile product
// (core/kernels/bfloat16_tile.h), whose dot product sums adjacent pairs
// along the inner dimension. With d' = d rounded up to even:
//
//   left operands, row-major:
//     rows          the tile's rows, [kTile × d']    Q in S = Q Kᵀ, dO in dP = dO Vᵀ
//     transposed    the tile's columns, [d × kTile]  Qᵀ in dKᵀ += Qᵀ dS, dOᵀ in dVᵀ += dOᵀ P
//   right operands, pairs of rows:
//     column_pairs  xᵀ's rows paired, [d'/2 × kTile × 2]   Kᵀ in S = Q Kᵀ, Vᵀ in dP = dO Vᵀ
//     row_pairs     x's rows paired, [kTile/2 × d × 2]     V in O += P V, K in dQ = dS K
//
// Rows past T and the column of an odd d are zeros, so every product may
// round its inner dimension up to even. The gradients of K and V come out
// transposed (dKᵀ, dVᵀ): that keeps P and dS, converted for every pair of
// tiles, in the cheap layouts (rows, and pack_row_pairs), and leaves the
// transposes to the per-tile packing.
//
//   const Bfloat16Panels keys(g, Bfloat16Layout::column_pairs);
//   keys.pack(k, head, tile, scratch);   // scratch: kTile·d floats
//   score_tile(queries, keys, g, head, query_tile, key_tile, scores);
#include <cstdint>

#include "core/bfloat16_buffer.h"
#include "layers/attention/flash_tiling.h"

namespace knnformer::attention::flash {

enum class Bfloat16Layout { rows, transposed, column_pairs, row_pairs };

// d rounded up to even: the inner dimension of the products over d.
inline int64_t paired_dim(const Geometry& g) { return in_pairs(g.dim); }

// One layout of every tile of every head of one [B·H, T, d] tensor.
class Bfloat16Panels {
 public:
  Bfloat16Panels(const Geometry& g, Bfloat16Layout layout);

  uint16_t* of(int64_t head, int64_t tile) const { return halves_.data() + (head * g_.tiles() + tile) * tile_size(); }
  // The product's a_row_stride (left operands) or b_pair_row_stride (right operands).
  int64_t row_stride() const;
  // Packs tile `tile` of head `head` of x; scratch holds kTile·d floats.
  void pack(const float* x, int64_t head, int64_t tile, float* scratch) const;

 private:
  int64_t tile_size() const { return kTile * paired_dim(g_); }

  Geometry g_;
  Bfloat16Layout layout_;
  Bfloat16Buffer halves_;
};

// The rows [rows × width] of a float tile (leading dimension row_stride) as
// pairs of rows, [⌈rows/2⌉ × width × 2], an odd last row paired with zeros:
// P and dS as right operands.
void pack_row_pairs(const float* x, int64_t rows, int64_t width, int64_t row_stride, uint16_t* out);

// S = A Bᵀ for one pair of tiles, A's tile in `rows` layout, B's in
// `column_pairs`: S = Q Kᵀ, dP = dO Vᵀ. Triangle::lower_output leaves the
// entries above the diagonal unset.
void score_tile(const Bfloat16Panels& left, const Bfloat16Panels& right, const Geometry& g, int64_t head,
                int64_t left_tile, int64_t right_tile, float* scores, Triangle triangle = Triangle::none);

}  // namespace knnformer::attention::flash
