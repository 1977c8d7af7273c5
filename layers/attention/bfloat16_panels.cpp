#include "layers/attention/bfloat16_panels.h"

#include <algorithm>

#include "core/kernels/bfloat16.h"

namespace knnformer::attention::flash {

Bfloat16Panels::Bfloat16Panels(const Geometry& g, Bfloat16Layout layout)
    : g_(g), layout_(layout), halves_(g.heads * g.tiles() * kTile * paired_dim(g)) {}

int64_t Bfloat16Panels::row_stride() const {
  switch (layout_) {
    case Bfloat16Layout::rows: return paired_dim(g_);
    case Bfloat16Layout::transposed: return kTile;
    case Bfloat16Layout::column_pairs: return 2 * kTile;
    case Bfloat16Layout::row_pairs: return 2 * g_.dim;
  }
  return 0;
}

void Bfloat16Panels::pack(const float* x, int64_t head, int64_t tile, float* scratch) const {
  uint16_t* out = of(head, tile);
  const int64_t rows = g_.rows_in_tile(tile);
  // Every layout writes its whole tile but for the zeros of a short tile or an odd d.
  if (rows < kTile || g_.dim % 2 == 1) std::fill(out, out + tile_size(), uint16_t{0});
  const float* tile_rows = x + head * g_.head_size() + tile * kTile * g_.dim;
  switch (layout_) {
    case Bfloat16Layout::rows:
      for (int64_t j = 0; j < rows; ++j) kernels::to_bfloat16(tile_rows + j * g_.dim, out + j * row_stride(), g_.dim);
      return;
    case Bfloat16Layout::transposed:
      transpose_tile(x, g_, head, tile, scratch);
      kernels::to_bfloat16(scratch, out, g_.dim * kTile);
      return;
    case Bfloat16Layout::column_pairs:
      transpose_tile(x, g_, head, tile, scratch);
      pack_row_pairs(scratch, g_.dim, kTile, kTile, out);
      return;
    case Bfloat16Layout::row_pairs:
      pack_row_pairs(tile_rows, rows, g_.dim, g_.dim, out);
      return;
  }
}

void pack_row_pairs(const float* x, int64_t rows, int64_t width, int64_t row_stride, uint16_t* out) {
  for (int64_t row = 0; row < rows; row += 2) {
    const float* even = x + row * row_stride;
    uint16_t* pairs = out + row * width;
    if (row + 1 < rows) {
      kernels::to_bfloat16_pairs(even, even + row_stride, pairs, width);
      continue;
    }
    kernels::to_bfloat16_pairs(even, even, pairs, width);
    for (int64_t c = 0; c < width; ++c) pairs[2 * c + 1] = 0;
  }
}

void score_tile(const Bfloat16Panels& left, const Bfloat16Panels& right, const Geometry& g, int64_t head,
                int64_t left_tile, int64_t right_tile, float* scores, Triangle triangle) {
  multiply_tile({.rows = g.rows_in_tile(left_tile), .inner = paired_dim(g), .width = kTile,
                 .a = left.of(head, left_tile), .a_row_stride = left.row_stride(),
                 .b = right.of(head, right_tile), .b_pair_row_stride = right.row_stride(),
                 .c = scores, .c_row_stride = kTile, .accumulate = false},
                triangle);
}

}  // namespace knnformer::attention::flash
