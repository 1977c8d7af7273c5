#pragma once
// The weight and bias gradients of a row kernel, summed over rows in a fixed
// order (core/kernels/blocks.h): each block of kRowsPerBlock rows adds into
// partials of its own, and the partials are added into the gradients in
// block order afterwards, so the sums do not depend on the thread count.
//
//   backward_in_row_blocks(rows, cols, dweight, dbias, [&](int64_t r, const ParameterPartials& partials) {
//     ... partials.dweight[j] += ...;   // each unless null
//   });
#include <cstdint>
#include <vector>

#include "core/kernels/blocks.h"

namespace knnformer::kernels {

// Where one row adds its parameter gradients: its row block's partials.
struct ParameterPartials {
  float* dweight;  // nullptr when not wanted
  float* dbias;
};

// Runs row_backward(r, partials) for every row, rows in fixed blocks each with
// its own partials, then adds the partials into dweight and dbias (either may
// be null) in block order.
template <class RowBackward>
void backward_in_row_blocks(int64_t rows, int64_t cols, float* dweight, float* dbias, RowBackward&& row_backward) {
  const int64_t blocks = block_count(rows, kRowsPerBlock);
  std::vector<float> partials(dweight || dbias ? blocks * 2 * cols : 0, 0.0f);
  for_each_block(rows, kRowsPerBlock, [&](int64_t begin, int64_t end) {
    float* own = partials.empty() ? nullptr : partials.data() + (begin / kRowsPerBlock) * 2 * cols;
    const ParameterPartials block{dweight && own ? own : nullptr, dbias && own ? own + cols : nullptr};
    for (int64_t r = begin; r < end; ++r) row_backward(r, block);
  });
  if (partials.empty()) return;
  for (int64_t b = 0; b < blocks; ++b) {
    const float* own = partials.data() + b * 2 * cols;
    for (int64_t j = 0; j < cols; ++j) {
      if (dweight) dweight[j] += own[j];
      if (dbias) dbias[j] += own[cols + j];
    }
  }
}

}  // namespace knnformer::kernels
