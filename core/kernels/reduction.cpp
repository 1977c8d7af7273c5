#include "core/kernels/reduction.h"

#include <numeric>
#include <vector>

#include "core/kernels/blocks.h"
#include "core/kernels/row_reductions.h"

namespace knnformer::kernels {

namespace {

// Σ x over the blocks of [0, count), block_sum(begin, end) giving each block's part.
template <class BlockSum>
float sum_in_block_order(int64_t count, BlockSum block_sum) {
  std::vector<double> partials(block_count(count, kElementsPerBlock));
  for_each_block(count, kElementsPerBlock, [&](int64_t begin, int64_t end) {
    partials[begin / kElementsPerBlock] = block_sum(begin, end);
  });
  return static_cast<float>(std::accumulate(partials.begin(), partials.end(), 0.0));
}

}  // namespace

namespace reference {

float sum(const float* x, int64_t count) {
  return sum_in_block_order(count, [x](int64_t begin, int64_t end) { return std::accumulate(x + begin, x + end, 0.0); });
}

}  // namespace reference

float sum(const float* x, int64_t count) {
#ifdef KNNFORMER_SIMD_AVX2
  return sum_in_block_order(count, [x](int64_t begin, int64_t end) { return double(simd::row_sum(x + begin, end - begin)); });
#else
  return reference::sum(x, count);
#endif
}

}  // namespace knnformer::kernels
