#pragma once
// How the kernels split their work among threads.
//
// Work is cut into fixed blocks (of elements, or of rows) whose size does not
// depend on the number of threads; each block is computed by one thread from
// start to finish. A kernel whose result sums across blocks (the mean of a
// loss, the weight gradient of layer norm) keeps one partial per block and
// adds the partials afterwards in block order, so every result is the same
// bit for bit whether it ran on 1 thread or 64.
//
//   for_each_block(count, kElementsPerBlock, [&](int64_t begin, int64_t end) {
//     for (int64_t i = begin; i < end; ++i) out[i] = f(in[i]);
//   });
#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

#include "core/parallel.h"

namespace knnformer::kernels {

// Elementwise kernels: 16 K floats (64 KB) per block keeps the OpenMP
// overhead small against the work yet gives 2 threads work at 32 K elements.
inline constexpr int64_t kElementsPerBlock = 16 * 1024;

// Row kernels that reduce across rows: partials of 32 rows each.
inline constexpr int64_t kRowsPerBlock = 32;

inline int64_t block_count(int64_t count, int64_t block_size) { return (count + block_size - 1) / block_size; }

// Calls body(begin, end) for each block [begin, end) of [0, count), in parallel.
template <class Body>
void for_each_block(int64_t count, int64_t block_size, Body&& body) {
  const int64_t blocks = block_count(count, block_size);
  if (blocks <= 1) {  // no parallel region for work of one block or none
    if (count > 0) body(int64_t{0}, count);
    return;
  }
  parallel_for(0, blocks, [&](int64_t block) {
    const int64_t begin = block * block_size;
    body(begin, std::min(count, begin + block_size));
  });
}

// Σ of block_sum(begin, end) over the blocks of [0, count): each block's
// part in parallel, the parts added in block order.
template <class BlockSum>
double sum_over_blocks(int64_t count, int64_t block_size, BlockSum&& block_sum) {
  std::vector<double> partials(block_count(count, block_size));
  for_each_block(count, block_size,
                 [&](int64_t begin, int64_t end) { partials[begin / block_size] = block_sum(begin, end); });
  return std::accumulate(partials.begin(), partials.end(), 0.0);
}

}  // namespace knnformer::kernels
