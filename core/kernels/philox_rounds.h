#pragma once
// The rounds of Philox4x32-10 (Salmon et al., "Parallel random numbers: as
// easy as 1, 2, 3", SC 2011), the generator under CounterRng (core/rng.h).
//
//   kernels::philox4x32_blocks(block, stream, key, 16, words);   // 64 words
//
// philox4x32_blocks computes count consecutive blocks, for the counters
// (block, stream) to (block + count − 1, stream), each counter as four words
// (block's low and high halves, then stream's), and writes each block's 4
// words to out in turn, nothing past them.
//
// knnformer::kernels runs the vector code of the best SIMD target the CPU has
// (core/kernels/simd_target.h), one block per 64-bit lane (8 blocks a vector
// step on AVX-512, 4 on AVX2); knnformer::kernels::reference computes one
// block at a time. The rounds are integer arithmetic only, so both give the
// same bits on every target.
#include <array>
#include <cstdint>

namespace knnformer::kernels {

using PhiloxCounter = std::array<uint32_t, 4>;
using PhiloxKey = std::array<uint32_t, 2>;

void philox4x32_blocks(uint64_t block, uint64_t stream, PhiloxKey key, int64_t count, uint32_t* out);

namespace reference {
// One block: 128 random bits from a 128-bit counter and a 64-bit key.
PhiloxCounter philox4x32(PhiloxCounter counter, PhiloxKey key);
void philox4x32_blocks(uint64_t block, uint64_t stream, PhiloxKey key, int64_t count, uint32_t* out);
}  // namespace reference

}  // namespace knnformer::kernels
