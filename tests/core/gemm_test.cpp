#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "core/gemm.h"
#include "core/rng.h"

using namespace knnformer;

namespace {

std::vector<float> random_values(int64_t count, uint64_t seed) {
  std::vector<float> values(count);
  CounterRng(seed, {}).fill_normal(values.data(), values.size(), 0, 1);
  return values;
}

// C = op(A)·op(B) by the definition, summed in double.
std::vector<float> defined_product(const gemm::Product& p, const std::vector<float>& a, const std::vector<float>& b) {
  std::vector<float> c(p.m * p.n);
  for (int64_t i = 0; i < p.m; ++i)
    for (int64_t j = 0; j < p.n; ++j) {
      double sum = 0;
      for (int64_t l = 0; l < p.k; ++l)
        sum += double(p.transpose_a ? a[l * p.m + i] : a[i * p.k + l]) *
               (p.transpose_b ? b[j * p.k + l] : b[l * p.n + j]);
      c[i * p.n + j] = static_cast<float>(sum);
    }
  return c;
}

}  // namespace

// The weight gradient's product copies an operand whose rows lie 1024 floats
// apart before multiplying (gemm.cpp): the copy must change neither the
// result's value nor its bits, with or without accumulation.
TEST_CASE("matmul with a transposed left operand: rows 1024 floats apart give the unpadded product's bits") {
  for (const gemm::Product shape : {gemm::Product{1, 1024, 24, 40, true, false},    // A's rows conflict
                                    gemm::Product{1, 16, 1024, 40, true, false},    // B's rows conflict
                                    gemm::Product{1, 16, 24, 1024, true, true},     // B transposed: its rows
                                    gemm::Product{1, 1024, 1024, 24, true, false}}) {  // both
    for (const bool accumulate : {false, true}) {
      gemm::Product product = shape;
      product.accumulate = accumulate;
      CAPTURE(product.m);
      CAPTURE(product.n);
      CAPTURE(product.k);
      CAPTURE(accumulate);
      const std::vector<float> a = random_values(product.m * product.k, 1), b = random_values(product.k * product.n, 2);
      const std::vector<float> start = random_values(product.m * product.n, 3);
      std::vector<float> padded = start, unpadded = start;
      gemm::matmul(product, a.data(), b.data(), padded.data());
      gemm::sgemm(true, product.transpose_b, product.m, product.n, product.k, 1.0f, a.data(), product.m, b.data(),
                  product.transpose_b ? product.k : product.n, accumulate ? 1.0f : 0.0f, unpadded.data(), product.n);
      CHECK(padded == unpadded);
      const std::vector<float> defined = defined_product(product, a, b);
      int64_t wrong = 0;
      for (size_t i = 0; i < defined.size(); ++i) {
        const double expected = defined[i] + (accumulate ? start[i] : 0.0f);
        wrong += std::abs(padded[i] - expected) > 1e-4 * (1 + std::abs(expected));
      }
      CHECK(wrong == 0);
    }
  }
}
