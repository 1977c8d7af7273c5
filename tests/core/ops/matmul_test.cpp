#include <doctest/doctest.h>

#include <bit>
#include <array>
#include <cmath>

#include "core/autograd.h"
#include "core/error.h"
#include "core/gemm.h"
#include "core/kernels/bfloat16.h"
#include "core/ops/elementwise.h"
#include "core/ops/matmul.h"
#include "core/ops/reduction.h"
#include "gradient_check.h"

using namespace knnformer;
using testing::check_gradients;
using testing::random_input;

namespace {

// C = op(A)·op(B) for one matrix, by the definition.
std::vector<float> naive_product(const float* a, const float* b, int64_t m, int64_t n, int64_t k, bool ta, bool tb) {
  std::vector<float> c(m * n, 0.0f);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double sum = 0;
      for (int64_t l = 0; l < k; ++l)
        sum += double(ta ? a[l * m + i] : a[i * k + l]) * (tb ? b[j * k + l] : b[l * n + j]);
      c[i * n + j] = static_cast<float>(sum);
    }
  return c;
}

// v rounded to bfloat16, as a float.
double bfloat16_rounded(float v) {
  uint16_t half = 0;
  kernels::reference::to_bfloat16(&v, &half, 1);
  return kernels::from_bfloat16(half);
}

// Σ_l a(l)·b(l) over bfloat16-rounded operands, in double, and Σ_l |a(l)·b(l)|.
struct RoundedSum {
  double value = 0, magnitude = 0;
};
template <class A, class B>
RoundedSum rounded_sum(int64_t count, A a, B b) {
  RoundedSum sum;
  for (int64_t l = 0; l < count; ++l) {
    sum.value += bfloat16_rounded(a(l)) * bfloat16_rounded(b(l));
    sum.magnitude += std::abs(double(a(l)) * b(l));
  }
  return sum;
}

// The bound on fp32 summation of `count` products: count·2⁻²⁴ of their magnitude.
double fp32_sum_bound(int64_t count, double magnitude) { return (count + 1) * 0x1p-24 * magnitude; }

}  // namespace

TEST_CASE("matmul: forward equals the definition for every transpose and batch") {
  const int64_t batch = 3, m = 5, n = 7, k = 9;
  for (const bool ta : {false, true})
    for (const bool tb : {false, true}) {
      const Tensor a = random_input(ta ? Shape{batch, k, m} : Shape{batch, m, k}, 1);
      const Tensor b = random_input(tb ? Shape{batch, n, k} : Shape{batch, k, n}, 2);
      const NoGrad no_grad;
      const Tensor c = ops::matmul(a, b, ta, tb);
      REQUIRE(c.shape() == Shape{batch, m, n});
      for (int64_t e = 0; e < batch; ++e) {
        const auto expected = naive_product(a.data() + e * m * k, b.data() + e * k * n, m, n, k, ta, tb);
        for (int64_t i = 0; i < m * n; ++i)
          CHECK(c.data()[e * m * n + i] == doctest::Approx(expected[i]).epsilon(1e-5));
      }
    }
}

TEST_CASE("matmul: backward against finite differences") {
  for (const bool ta : {false, true})
    for (const bool tb : {false, true}) {
      CAPTURE(ta);
      CAPTURE(tb);
      const Tensor a = random_input(ta ? Shape{2, 4, 3} : Shape{2, 3, 4}, 3);
      const Tensor b = random_input(tb ? Shape{2, 5, 4} : Shape{2, 4, 5}, 4);
      check_gradients([&] { return ops::matmul(a, b, ta, tb); }, {a, b});
      const Tensor shared = random_input(tb ? Shape{5, 4} : Shape{4, 5}, 5);
      if (!ta) check_gradients([&] { return ops::matmul(a, shared, false, tb); }, {a, shared});
    }
  const Tensor a4 = random_input({2, 2, 3, 4}, 6), b4 = random_input({2, 2, 3, 4}, 7);
  check_gradients([&] { return ops::matmul(a4, b4, false, true); }, {a4, b4});
}

TEST_CASE("linear: forward and backward with and without bias") {
  const Tensor x = random_input({2, 3, 5}, 8), weight = random_input({7, 5}, 9), bias = random_input({7}, 10);
  {
    const NoGrad no_grad;
    const Tensor y = ops::linear(x, weight, bias);
    REQUIRE(y.shape() == Shape{2, 3, 7});
    const auto expected = naive_product(x.data(), weight.data(), 6, 7, 5, false, true);
    for (int64_t i = 0; i < 42; ++i)
      CHECK(y.data()[i] == doctest::Approx(expected[i] + bias.data()[i % 7]).epsilon(1e-5));
  }
  check_gradients([&] { return ops::linear(x, weight, bias); }, {x, weight, bias});
  check_gradients([&] { return ops::linear(x, weight, Tensor()); }, {x, weight});
}

TEST_CASE("matmul and linear: mismatched shapes are errors naming both shapes") {
  const NoGrad no_grad;
  CHECK_THROWS_WITH_AS(ops::matmul(Tensor::zeros({2, 3}), Tensor::zeros({4, 5})),
                       "matmul: shapes [2, 3] and [4, 5] do not multiply", Error);
  CHECK_THROWS_AS(ops::matmul(Tensor::zeros({2, 2, 3}), Tensor::zeros({3, 2, 3}), false, true), Error);
  CHECK_THROWS_WITH_AS(ops::linear(Tensor::zeros({2, 3}), Tensor::zeros({4, 5}), Tensor()),
                       "linear: input [2, 3] does not fit weight [4, 5] ([out, in])", Error);
}

// In bf16 each product is of the operands rounded to 8 significant bits
// (exact in fp32, 8 + 8 bits) and only their sum rounds in fp32: the result
// is within the fp32 summation bound of the rounded operands' product, and
// within (1 + 2⁻⁸)² − 1 of the magnitude (the operands' rounding) plus that
// bound of the fp32 result. The forward's, dx's (a sum over `out`) and dW's
// (a sum over rows) sums all have their own reduction length.
TEST_CASE("linear in bf16: products of bfloat16-rounded operands summed in fp32, forward and backward") {
  const int64_t rows = 24, in = 40, out = 20;
  const Tensor x = random_input({4, 6, in}, 11), weight = random_input({out, in}, 12), bias = random_input({out}, 13);
  if (!gemm::can_multiply_bf16()) {
    CHECK_THROWS_WITH_AS(ops::linear(x, weight, bias, Precision::bf16),
                         "gemm::matmul: bf16 products need AVX-512 or bf16 instructions, which this CPU lacks", Error);
    MESSAGE("bf16 products not checked: oneDNN has none below AVX-512");
    return;
  }
  const Tensor upstream = random_input({4, 6, out}, 14);
  const double operand_rounding = (1 + 0x1p-8) * (1 + 0x1p-8) - 1;

  const auto gradients = [&](Precision precision) {
    for (const Tensor* t : {&x, &weight, &bias}) t->zero_grad();
    const Tensor y = ops::linear(x, weight, bias, precision);
    backward(ops::sum(ops::mul(y, upstream)));  // y's gradient is `upstream`, exactly
    return std::array{y.to_vector(), x.grad_tensor().to_vector(), weight.grad_tensor().to_vector(),
                      bias.grad_tensor().to_vector()};
  };
  const auto bf16 = gradients(Precision::bf16), fp32 = gradients(Precision::fp32);
  int64_t differing = 0;
  const auto check = [&](int which, int64_t index, RoundedSum expected, int64_t length, double extra) {
    const double actual = bf16[which][index];
    CHECK(std::abs(actual - expected.value) <= fp32_sum_bound(length, expected.magnitude) + extra);
    CHECK(std::abs(actual - fp32[which][index]) <=
          operand_rounding * expected.magnitude + 2 * fp32_sum_bound(length, expected.magnitude) + 2 * extra);
    differing += actual != fp32[which][index];
  };
  const float *xs = x.data(), *ws = weight.data(), *dys = upstream.data();
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < out; ++j) {
      RoundedSum sum =
          rounded_sum(in, [&](int64_t l) { return xs[i * in + l]; }, [&](int64_t l) { return ws[j * in + l]; });
      sum.value += bias.data()[j];
      check(0, i * out + j, sum, in, 0x1p-24 * std::abs(sum.value));
    }
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t l = 0; l < in; ++l)
      check(1, i * in + l,
            rounded_sum(out, [&](int64_t j) { return dys[i * out + j]; }, [&](int64_t j) { return ws[j * in + l]; }),
            out, 0);
  for (int64_t j = 0; j < out; ++j)
    for (int64_t l = 0; l < in; ++l)
      check(2, j * in + l,
            rounded_sum(rows, [&](int64_t i) { return dys[i * out + j]; }, [&](int64_t i) { return xs[i * in + l]; }),
            rows, 0);
  CHECK(bf16[3] == fp32[3]);  // the bias gradient stays fp32
  CHECK(differing > rows * out);  // bf16 really ran: most results differ from fp32's
}
