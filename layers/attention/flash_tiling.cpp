#include "layers/attention/flash_tiling.h"

namespace knnformer::attention::flash {

namespace {

// Rows per band of a triangular product: a multiple of the tile kernel's
// row block (6), so that no band ends in a short block, and small enough that
// the bands follow the diagonal closely (55-65% of the full product's work).
constexpr int64_t kBandRows = 12;

}  // namespace

void multiply_tile(const kernels::tiles::TileProduct& product, Triangle triangle) {
  if (triangle == Triangle::none) {
    kernels::tiles::multiply_tile(product);
    return;
  }
  for (int64_t row0 = 0; row0 < product.rows; row0 += kBandRows) {
    const int64_t row_end = std::min(product.rows, row0 + kBandRows);
    const int64_t skipped_inner = std::min(product.inner, row0);
    kernels::tiles::TileProduct band = product;
    band.rows = row_end - row0;
    band.a += row0 * product.a_row_stride;
    band.c += row0 * product.c_row_stride;
    switch (triangle) {
      case Triangle::lower_output: band.width = std::min(product.width, row_end); break;
      case Triangle::lower_left: band.inner = std::min(product.inner, row_end); break;
      case Triangle::upper_left:
        band.inner = product.inner - skipped_inner;
        band.a += skipped_inner * product.a_inner_stride;
        band.b += skipped_inner * product.b_row_stride;
        break;
      case Triangle::none: break;
    }
    kernels::tiles::multiply_tile(band);
  }
}

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

void score_tile(const float* queries, int64_t rows, const float* key_panel, const Geometry& g, float* scores,
                Triangle triangle) {
  multiply_tile({.rows = rows, .inner = g.dim, .width = kTile,
                 .a = queries, .a_row_stride = g.dim, .a_inner_stride = 1,
                 .b = key_panel, .b_row_stride = kTile,
                 .c = scores, .c_row_stride = kTile, .accumulate = false},
                triangle);
}

}  // namespace knnformer::attention::flash
