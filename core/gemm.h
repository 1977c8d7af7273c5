#pragma once
// Matrix products through oneDNN, the one place knnformer multiplies matrices.
//
// matmul() runs the oneDNN matmul primitive, created once per problem shape
// and cached (creating a primitive costs far more than a small product);
// single products with a transposed left operand go to oneDNN's sgemm,
// which is faster for them.
// All matrices are row-major and dense unless leading dimensions are given.
#include <cstdint>

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

// The classic BLAS interface, row-major with leading dimensions, through
// oneDNN's dnnl_sgemm: C = alpha·op(A)·op(B) + beta·C. For callers with
// strided tiles (fused kernels) and as the reference in benchmarks.
void sgemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
           int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

}  // namespace knnformer::gemm
