#pragma once
// How flash-style exact attention (exact_attention.h, docs/design.md §5.2)
// cuts its B·H heads into tiles: tiles of kTile queries against tiles of
// kTile keys, which tiles and columns a causal query sees, and Kᵀ (or Vᵀ)
// packed into panels for the tiles' products (core/kernels/attention_tile.h).
//
//   const Geometry g{.heads = B * H, .time = T, .dim = d, .causal = true, .scale = s};
//   pack_transposed_panel(k, g, head, tile, panels);
//   score_tile(q_rows, g.rows_in_tile(query_tile), panel_of(panels, g, head, tile), g, scores);
#include <algorithm>
#include <cstdint>

#include "core/kernels/attention_tile.h"
#include "core/kernels/bfloat16_tile.h"
#include "core/tensor.h"

namespace knnformer::attention::flash {

// Queries and keys are taken in tiles of this many rows: a 64 × 64 score tile
// and a few 64 × d operand tiles stay within a core's L1 and L2 caches.
constexpr int64_t kTile = 64;

// The B·H independent heads of one call, and which keys each query sees.
struct Geometry {
  int64_t heads = 0;  // B·H
  int64_t time = 0;   // T
  int64_t dim = 0;    // d
  bool causal = true;
  float scale = 1.0f;  // s = 1/sqrt(d)

  int64_t tiles() const { return (time + kTile - 1) / kTile; }
  int64_t head_size() const { return time * dim; }
  int64_t rows_in_tile(int64_t tile) const { return std::min(kTile, time - tile * kTile); }

  // Query tile qt attends to key tiles [0, key_tiles_seen_by(qt)): causal
  // attention skips every tile above the diagonal.
  int64_t key_tiles_seen_by(int64_t query_tile) const { return causal ? query_tile + 1 : tiles(); }
  // Key tile kt is attended to by query tiles [first_query_tile_seeing(kt), tiles()).
  int64_t first_query_tile_seeing(int64_t key_tile) const { return causal ? key_tile : 0; }
  // Whether the pair of tiles straddles the causal diagonal (triangular products, below).
  bool on_diagonal(int64_t query_tile, int64_t key_tile) const { return causal && query_tile == key_tile; }

  // Query `query` may attend to the first candidates_in_tile(query, key0)
  // columns of the key tile that starts at key0; the rest are masked. At
  // least one, since every tile visited holds key 0 or lies left of the diagonal.
  int64_t candidates_in_tile(int64_t query, int64_t key0) const {
    const int64_t visible_keys = causal ? query + 1 : time;
    return std::min(kTile, visible_keys - key0);
  }
};

// Kᵀ (or Vᵀ) cut into panels of kTile columns, each a d × kTile row-major
// block, zero past T: the right operand of S = Q Kᵀ and dP = dO Vᵀ, so that
// each step of the inner dimension reads one contiguous row of 64 keys.
// Panel p = head·tiles() + tile, stored [B·H, tiles, d, kTile].
Tensor empty_panels(const Geometry& g);
float* panel_of(const Tensor& panels, const Geometry& g, int64_t head, int64_t tile);
// Packs the rows of one tile of x ([B·H, T, d]) into its panel.
void pack_transposed_panel(const float* x, const Geometry& g, int64_t head, int64_t tile, const Tensor& panels);
// The same into any d × kTile block.
void transpose_tile(const float* x, const Geometry& g, int64_t head, int64_t tile, float* panel);

// n rounded up to whole pairs: the inner dimension of a bf16 tile product,
// whose operands hold zeros past n (core/kernels/bfloat16_tile.h).
inline int64_t in_pairs(int64_t n) { return n + n % 2; }

// On a causal diagonal tile (query tile = key tile) query r sees keys 0..r
// of the tile alone: the products there have a triangle of zeros or of
// entries nobody reads, which they skip.
enum class Triangle {
  none,          // a full product: any tile off the diagonal, or attention that is not causal
  lower_output,  // C[r][c] is needed for c <= r alone (S = Q Kᵀ, dP = dO Vᵀ); the rest is left unset
  lower_left,    // a(r, t) = 0 for t > r (O += P V, dQ += dS K)
  upper_left,    // a(r, t) = 0 for t < r (dV += Pᵀ dO, dK += dSᵀ Q)
  upper_right,   // B[t][c] = 0 for t < c (in bf16, dVᵀ += dOᵀ P, dKᵀ += Qᵀ dS)
};

// kernels::tiles::multiply_tile (or multiply_bfloat16_tile) over the part of
// the product outside the triangle, in bands of rows (of columns for
// upper_right); the entries it computes equal the full product's (the
// skipped terms are zeros, added in the same order).
void multiply_tile(const kernels::tiles::TileProduct& product, Triangle triangle);
void multiply_tile(const kernels::tiles::Bfloat16TileProduct& product, Triangle triangle);

// S = Q_tile Kᵀ_tile: raw dot products q_i·k_j (the scale enters the exponent);
// with Triangle::lower_output, the entries above the diagonal are left unset.
void score_tile(const float* queries, int64_t rows, const float* key_panel, const Geometry& g, float* scores,
                Triangle triangle = Triangle::none);

}  // namespace knnformer::attention::flash
