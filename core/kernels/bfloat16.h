#pragma once
// Conversion of floats to bfloat16, the 16-bit format of the bf16 GEMMs
// (core/gemm.h): float's sign, its 8 exponent bits and the top 7 bits of its
// mantissa, stored as the upper half of the float's bits.
//
//   std::vector<uint16_t> halves(n);
//   kernels::to_bfloat16(x, halves.data(), n);
//
// to_bfloat16_pairs interleaves two rows as it converts them, the layout of
// the right operand of the bf16 tile product (core/kernels/bfloat16_tile.h),
// whose dot-product instruction sums adjacent pairs.
//
// Rounds to nearest, ties to even (as oneDNN, PyTorch and the hardware's own
// conversions do), so the relative error of each value is at most 2⁻⁸.
// Infinities stay infinities, NaNs stay (quiet) NaNs, and floats above the
// largest bfloat16 round to infinity. knnformer::kernels runs the vector code
// of the best SIMD target (core/kernels/simd_target.h); the results are the
// same bits on every target. knnformer::kernels::reference is the scalar loop.
#include <bit>
#include <cstdint>

namespace knnformer::kernels {

// The float a bfloat16 stands for (exact: its bits are the float's upper half).
inline float from_bfloat16(uint16_t half) { return std::bit_cast<float>(static_cast<uint32_t>(half) << 16); }

void to_bfloat16(const float* in, uint16_t* out, int64_t count);

// out[2j] = bfloat16(even[j]), out[2j + 1] = bfloat16(odd[j]) for j < count,
// rounded as to_bfloat16 rounds; on the calling thread (it converts tiles).
void to_bfloat16_pairs(const float* even, const float* odd, uint16_t* out, int64_t count);

namespace reference {
void to_bfloat16(const float* in, uint16_t* out, int64_t count);
void to_bfloat16_pairs(const float* even, const float* odd, uint16_t* out, int64_t count);
}  // namespace reference

}  // namespace knnformer::kernels
