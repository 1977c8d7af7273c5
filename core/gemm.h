#pragma once
// Matrix products through oneDNN, the one place knnformer multiplies matrices.
//
// matmul() runs the oneDNN matmul primitive, created once per problem shape
// and cached (creating a primitive costs far more than a small product);
// single fp32 products with a transposed left operand go to oneDNN's sgemm,
// which is faster for them.
// All matrices are row-major and dense unless leading dimensions are given.
//
// The bf16 products take their operands as bfloat16 (core/kernels/bfloat16.h)
// and multiply them with fp32 accumulation into an fp32 C, on the CPU's bf16
// dot-product instructions (AVX512_BF16, AMX) where it has them and through
// oneDNN's conversions to fp32 elsewhere. has_bf16_instructions() tells which.
#include <cstdint>

#include "core/precision.h"

namespace knnformer::gemm {

// One (possibly batched) product C = op(A)·op(B) (+ bias) (+ C when accumulate).
//   op(A) is [m, k]: A is stored [m, k], or [k, m] when transpose_a.
//   op(B) is [k, n]: B is stored [k, n], or [n, k] when transpose_b.
//   batch > 1: A, B, C hold `batch` matrices back to back; a_batched = false
//   (or b_batched = false) reuses one A (or B) for every batch entry.
//   bias, when given, has n entries added to every row of C.
struct Product {
  int64_t batch = 1, m = 0, n = 0, k = 0;
  bool transpose_a = false, transpose_b = false;
  bool a_batched = true, b_batched = true;
  bool accumulate = false;
};
void matmul(const Product& product, const float* a, const float* b, float* c, const float* bias = nullptr);
void matmul(const Product& product, const uint16_t* a, const uint16_t* b, float* c, const float* bias = nullptr);

// Whether oneDNN runs bf16 products on this CPU's own bf16 instructions
// (within DNNL_MAX_CPU_ISA), rather than emulating them.
bool has_bf16_instructions();

// Whether oneDNN can run bf16 products here at all: on bf16 instructions, or
// emulated on AVX-512. Below AVX-512 it has no bf16 products, and the bf16
// matmul() throws.
bool can_multiply_bf16();

// The precision the products of a run that asks for `asked` take here: bf16
// only with the CPU's bf16 instructions. Without them oneDNN emulates bf16 on
// AVX-512 at about a quarter of fp32's speed (bench_train_step, cfgA) and
// cannot run it at all on lesser ISAs, so those run fp32.
Precision usable_precision(Precision asked);

// The classic BLAS interface, row-major with leading dimensions, through
// oneDNN's dnnl_sgemm: C = alpha·op(A)·op(B) + beta·C. For callers with
// strided tiles (fused kernels) and as the reference in benchmarks.
void sgemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
           int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

}  // namespace knnformer::gemm
