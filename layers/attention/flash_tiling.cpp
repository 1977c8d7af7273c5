#include "layers/attention/flash_tiling.h"

namespace knnformer::attention::flash {

namespace {

// Rows per band of a triangular product: a multiple of the tile kernel's
// row block (6), so that no band ends in a short block, and small enough that
// the bands follow the diagonal closely (55-65% of the full product's work).
constexpr int64_t kBandRows = 12;
// Columns per band of Triangle::upper_right: one AVX-512 vector of C.
constexpr int64_t kBandColumns = 16;

// What sets the two products apart when a band drops inner steps: how far
// their operands move, and that bf16 steps come in pairs.
void skip_inner(kernels::tiles::TileProduct& band, int64_t skipped) {
  band.a += skipped * band.a_inner_stride;
  band.b += skipped * band.b_row_stride;
}
void skip_inner(kernels::tiles::Bfloat16TileProduct& band, int64_t skipped) {
  band.a += skipped;
  band.b += skipped / 2 * band.b_pair_row_stride;
}
void skip_columns(kernels::tiles::TileProduct& band, int64_t skipped) {
  band.b += skipped;
  band.c += skipped;
}
void skip_columns(kernels::tiles::Bfloat16TileProduct& band, int64_t skipped) {
  band.b += 2 * skipped;
  band.c += skipped;
}
int64_t inner_steps_to(const kernels::tiles::TileProduct&, int64_t end) { return end; }
int64_t inner_steps_to(const kernels::tiles::Bfloat16TileProduct&, int64_t end) { return in_pairs(end); }
void multiply_whole(const kernels::tiles::TileProduct& product) { kernels::tiles::multiply_tile(product); }
void multiply_whole(const kernels::tiles::Bfloat16TileProduct& product) {
  kernels::tiles::multiply_bfloat16_tile(product);
}

// Triangle::upper_right in bands of columns: band [col0, col_end) drops the
// inner steps before col0 (an even number, so bf16 pairs stay whole).
template <class Product>
void multiply_upper_right(const Product& product) {
  for (int64_t col0 = 0; col0 < product.width; col0 += kBandColumns) {
    const int64_t skipped = std::min(product.inner, col0);
    Product band = product;
    band.width = std::min(product.width, col0 + kBandColumns) - col0;
    skip_columns(band, col0);
    band.inner = product.inner - skipped;
    skip_inner(band, skipped);
    multiply_whole(band);
  }
}

template <class Product>
void multiply_in_bands(const Product& product, Triangle triangle) {
  if (triangle == Triangle::none) {
    multiply_whole(product);
    return;
  }
  if (triangle == Triangle::upper_right) {
    multiply_upper_right(product);
    return;
  }
  for (int64_t row0 = 0; row0 < product.rows; row0 += kBandRows) {
    const int64_t row_end = std::min(product.rows, row0 + kBandRows);
    const int64_t skipped_inner = std::min(product.inner, row0);
    Product band = product;
    band.rows = row_end - row0;
    band.a += row0 * product.a_row_stride;
    band.c += row0 * product.c_row_stride;
    switch (triangle) {
      case Triangle::lower_output: band.width = std::min(product.width, row_end); break;
      case Triangle::lower_left: band.inner = std::min(product.inner, inner_steps_to(product, row_end)); break;
      case Triangle::upper_left:
        band.inner = product.inner - skipped_inner;
        skip_inner(band, skipped_inner);
        break;
      case Triangle::none:
      case Triangle::upper_right: break;
    }
    multiply_whole(band);
  }
}

}  // namespace

void multiply_tile(const kernels::tiles::TileProduct& product, Triangle triangle) {
  multiply_in_bands(product, triangle);
}

void multiply_tile(const kernels::tiles::Bfloat16TileProduct& product, Triangle triangle) {
  multiply_in_bands(product, triangle);
}

Tensor empty_panels(const Geometry& g) { return Tensor::empty({g.heads, g.tiles(), g.dim, kTile}); }

float* panel_of(const Tensor& panels, const Geometry& g, int64_t head, int64_t tile) {
  return panels.data() + (head * g.tiles() + tile) * g.dim * kTile;
}

void transpose_tile(const float* x, const Geometry& g, int64_t head, int64_t tile, float* panel) {
  const float* rows = x + head * g.head_size() + tile * kTile * g.dim;
  if (g.rows_in_tile(tile) < kTile) std::fill(panel, panel + g.dim * kTile, 0.0f);
  for (int64_t j = 0; j < g.rows_in_tile(tile); ++j)
    for (int64_t c = 0; c < g.dim; ++c) panel[c * kTile + j] = rows[j * g.dim + c];
}

void pack_transposed_panel(const float* x, const Geometry& g, int64_t head, int64_t tile, const Tensor& panels) {
  transpose_tile(x, g, head, tile, panel_of(panels, g, head, tile));
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
