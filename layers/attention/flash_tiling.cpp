#include "layers/attention/flash_tiling.h"

#include "core/kernels/attention_tile.h"

namespace knnformer::attention::flash {

Tensor empty_panels(const Geometry& g) { return Tensor::empty({g.heads, g.tiles(), g.dim, kTile}); }

float* panel_of(const Tensor& panels, const Geometry& g, int64_t head, int64_t tile) {
  return panels.data() + (head * g.tiles() + tile) * g.dim * kTile;
}

void pack_transposed_panel(const float* x, const Geometry& g, int64_t head, int64_t tile, const Tensor& panels) {
  const float* rows = x + head * g.head_size() + tile * kTile * g.dim;
  float* panel = panel_of(panels, g, head, tile);
  std::fill(panel, panel + g.dim * kTile, 0.0f);
  for (int64_t j = 0; j < g.rows_in_tile(tile); ++j)
    for (int64_t c = 0; c < g.dim; ++c) panel[c * kTile + j] = rows[j * g.dim + c];
}

void score_tile(const float* queries, int64_t rows, const float* key_panel, const Geometry& g, float* scores) {
  kernels::tiles::multiply_tile({.rows = rows, .inner = g.dim, .width = kTile,
                                 .a = queries, .a_row_stride = g.dim, .a_inner_stride = 1,
                                 .b = key_panel, .b_row_stride = kTile,
                                 .c = scores, .c_row_stride = kTile, .accumulate = false});
}

}  // namespace knnformer::attention::flash
