#pragma once
// Elementwise kernels on raw float arrays of count elements, in parallel over
// fixed blocks (core/kernels/blocks.h).
//
//   kernels::add(a, b, out, n);          // out = a + b
//   kernels::axpy(0.5f, x, y, n);        // y += 0.5·x
//
// Functions that write out may be given out == one of their inputs. Those
// named for accumulation (axpy, multiply_add, add_constant) add into y; they
// are what backward passes use to add into gradients.
//
// knnformer::kernels runs the vector code of the best SIMD target the CPU has
// (core/kernels/simd_target.h); knnformer::kernels::reference is the plain
// scalar loop that the tests and benchmarks compare it with. add, mul,
// scale and add_constant give the same bits on both; axpy and multiply_add
// round once (fused multiply-add) on the targets that have it (AVX2 and
// AVX-512) and twice on the others and in the reference.
#include <cstdint>

namespace knnformer::kernels {

void add(const float* a, const float* b, float* out, int64_t count);       // out = a + b
void mul(const float* a, const float* b, float* out, int64_t count);       // out = a ⊙ b
void scale(const float* x, float factor, float* out, int64_t count);       // out = factor·x
void axpy(float alpha, const float* x, float* y, int64_t count);           // y += alpha·x
void multiply_add(const float* a, const float* b, float* y, int64_t count);  // y += a ⊙ b
void add_constant(float value, float* y, int64_t count);                   // y += value

namespace reference {
void add(const float* a, const float* b, float* out, int64_t count);
void mul(const float* a, const float* b, float* out, int64_t count);
void scale(const float* x, float factor, float* out, int64_t count);
void axpy(float alpha, const float* x, float* y, int64_t count);
void multiply_add(const float* a, const float* b, float* y, int64_t count);
void add_constant(float value, float* y, int64_t count);
}  // namespace reference

}  // namespace knnformer::kernels
