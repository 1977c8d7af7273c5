#include <doctest/doctest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/autograd.h"
#include "core/parallel.h"
#include "core/rng.h"
#include "core/kernels/bfloat16.h"
#include "core/kernels/bfloat16_tile.h"
#include "gradient_check.h"
#include "layers/attention/exact_attention.h"

using namespace knnformer;
using attention::exact_attention;
using testing::check_gradients;
using testing::random_input;

namespace {

// Attention written out in double: explicit scores, softmax, weighted sum,
// and the gradients for a given dO by the formulas of docs/design.md §5.1.
struct NaiveAttention {
  std::vector<double> out, query_grad, key_grad, value_grad;
};

NaiveAttention naive_attention(const Tensor& q, const Tensor& k, const Tensor& v, bool causal,
                               const std::vector<float>& out_grad) {
  const int64_t heads = q.size(0) * q.size(1), time = q.size(2), dim = q.size(3);
  const double scale = 1.0 / std::sqrt(double(dim));
  NaiveAttention result{std::vector<double>(q.numel()), std::vector<double>(q.numel()),
                        std::vector<double>(q.numel()), std::vector<double>(q.numel())};
  const auto at = [&](const float* x, int64_t head, int64_t row, int64_t c) {
    return double(x[(head * time + row) * dim + c]);
  };
  for (int64_t head = 0; head < heads; ++head)
    for (int64_t i = 0; i < time; ++i) {
      const int64_t candidates = causal ? i + 1 : time;
      std::vector<double> weights(candidates);
      for (int64_t j = 0; j < candidates; ++j) {
        double dot = 0.0;
        for (int64_t c = 0; c < dim; ++c) dot += at(q.data(), head, i, c) * at(k.data(), head, j, c);
        weights[j] = scale * dot;
      }
      const double largest = *std::max_element(weights.begin(), weights.end());
      double total = 0.0;
      for (double& w : weights) total += (w = std::exp(w - largest));
      for (double& w : weights) w /= total;

      const int64_t row = (head * time + i) * dim;
      for (int64_t j = 0; j < candidates; ++j)
        for (int64_t c = 0; c < dim; ++c) result.out[row + c] += weights[j] * at(v.data(), head, j, c);

      double out_dot_grad = 0.0;  // D_i = dO_i·o_i
      for (int64_t c = 0; c < dim; ++c) out_dot_grad += double(out_grad[row + c]) * result.out[row + c];
      for (int64_t j = 0; j < candidates; ++j) {
        double grad_dot_value = 0.0;  // dP_ij = dO_i·v_j
        for (int64_t c = 0; c < dim; ++c) grad_dot_value += double(out_grad[row + c]) * at(v.data(), head, j, c);
        const double score_grad = weights[j] * (grad_dot_value - out_dot_grad);
        const int64_t key_row = (head * time + j) * dim;
        for (int64_t c = 0; c < dim; ++c) {
          result.value_grad[key_row + c] += weights[j] * out_grad[row + c];
          result.query_grad[row + c] += scale * score_grad * at(k.data(), head, j, c);
          result.key_grad[key_row + c] += scale * score_grad * at(q.data(), head, i, c);
        }
      }
    }
  return result;
}

// The op's output and its gradients for the given dO.
struct Computed {
  std::vector<float> out, query_grad, key_grad, value_grad;
};

Computed run_exact_attention(const Tensor& q, const Tensor& k, const Tensor& v, bool causal,
                             const std::vector<float>& out_grad, Precision precision = Precision::fp32) {
  for (const Tensor* input : {&q, &k, &v}) input->zero_grad();
  const Tensor out = exact_attention(q, k, v, causal, precision);
  std::copy(out_grad.begin(), out_grad.end(), out.grad());
  Tape::current().run_backward();
  const auto grad_of = [](const Tensor& x) { return std::vector<float>(x.grad(), x.grad() + x.numel()); };
  return {out.to_vector(), grad_of(q), grad_of(k), grad_of(v)};
}

std::vector<float> random_values(int64_t count, uint64_t seed) {
  std::vector<float> values(count);
  CounterRng(seed, {0xD0}).fill_normal(values.data(), count, 0.0f, 1.0f);
  return values;
}

// max |got − want| / (1 + max |want|): errors relative to the tensor's scale.
double scaled_error(const std::vector<float>& got, const std::vector<double>& want) {
  double error = 0.0, size = 0.0;
  for (size_t e = 0; e < want.size(); ++e) {
    error = std::max(error, std::abs(double(got[e]) - want[e]));
    size = std::max(size, std::abs(want[e]));
  }
  return error / (1.0 + size);
}

void check_against_naive(int64_t batch, int64_t heads, int64_t time, int64_t dim, bool causal,
                         float input_scale = 1.0f) {
  INFO("B ", batch, " H ", heads, " T ", time, " d ", dim, " causal ", causal, " input scale ", input_scale);
  const Shape shape{batch, heads, time, dim};
  const Tensor q = random_input(shape, 11, input_scale), k = random_input(shape, 12, input_scale),
               v = random_input(shape, 13);
  const std::vector<float> out_grad = random_values(q.numel(), 14);
  const Computed got = run_exact_attention(q, k, v, causal, out_grad);
  const NaiveAttention want = naive_attention(q, k, v, causal, out_grad);
  // A float score S carries a rounding error of about 6e-8·|S|, which exp
  // turns into a relative error of the weights: large scores (input_scale
  // > 1) are as exact as float allows, not as exact as small ones.
  const double tolerance = input_scale > 1.0f ? 1e-3 : 1e-5;
  CHECK(scaled_error(got.out, want.out) < tolerance / 5);
  CHECK(scaled_error(got.query_grad, want.query_grad) < tolerance);
  CHECK(scaled_error(got.key_grad, want.key_grad) < tolerance);
  CHECK(scaled_error(got.value_grad, want.value_grad) < tolerance);
}

// x with every value rounded to bf16 and widened back.
std::vector<float> rounded_to_bf16(const float* x, int64_t count) {
  std::vector<uint16_t> halves(count);
  kernels::to_bfloat16(x, halves.data(), count);
  std::vector<float> widened(count);
  for (int64_t e = 0; e < count; ++e) widened[e] = kernels::from_bfloat16(halves[e]);
  return widened;
}

Tensor rounded_to_bf16(const Tensor& x) {
  return Tensor::from_vector(x.shape(), rounded_to_bf16(x.data(), x.numel()));
}

// The bf16 products against the naive reference in double on the same
// inputs rounded to bf16 (unit u = 2⁻⁸): what is left is the rounding of the
// softmax weights A (and of dS) to bf16 inside the op, each off by at most
// u relative. The output Σ_j A_ij v_j is then off by at most u·Σ_j A_ij |v_j|,
// within u of the largest |v| (scaled_error's 1 + max): 1.5u allows for the
// fp32 sums. dV = Aᵀ dO moves as much; dS = A ∘ (dP − D) carries A's error
// and its own rounding into dQ and dK, and D = dO·o carries the output's:
// 4u for the gradients.
void check_bf16_against_naive(int64_t time, int64_t dim, bool causal) {
  INFO("T ", time, " d ", dim, " causal ", causal);
  const Shape shape{1, 2, time, dim};
  const Tensor q = random_input(shape, 51), k = random_input(shape, 52), v = random_input(shape, 53);
  const std::vector<float> out_grad = random_values(q.numel(), 54);
  const Computed got = run_exact_attention(q, k, v, causal, out_grad, Precision::bf16);
  const NaiveAttention want = naive_attention(rounded_to_bf16(q), rounded_to_bf16(k), rounded_to_bf16(v), causal,
                                              rounded_to_bf16(out_grad.data(), q.numel()));
  const double unit = 0x1p-8;
  CHECK(scaled_error(got.out, want.out) < 1.5 * unit);
  CHECK(scaled_error(got.query_grad, want.query_grad) < 4.0 * unit);
  CHECK(scaled_error(got.key_grad, want.key_grad) < 4.0 * unit);
  CHECK(scaled_error(got.value_grad, want.value_grad) < 4.0 * unit);
}

}  // namespace

TEST_CASE("exact attention: bf16 products match a naive reference within bf16's rounding") {
  if (!kernels::tiles::has_fast_bfloat16_tiles()) {
    MESSAGE("this CPU has no fast bf16 tile product: bf16 runs the fp32 products, tested above");
    return;
  }
  for (const bool causal : {true, false})
    for (const int64_t time : {1, 7, 64, 67, 130})
      for (const int64_t dim : {8, 15, 64}) check_bf16_against_naive(time, dim, causal);
}

TEST_CASE("exact attention: bf16 results are bit-identical for 1 and 2 threads") {
  const Shape shape{1, 3, 300, 32};
  const Tensor q = random_input(shape, 61), k = random_input(shape, 62), v = random_input(shape, 63);
  const std::vector<float> out_grad = random_values(q.numel(), 64);
  const int threads_before = num_threads();
  set_num_threads(1);
  const Computed one = run_exact_attention(q, k, v, true, out_grad, Precision::bf16);
  set_num_threads(2);
  const Computed two = run_exact_attention(q, k, v, true, out_grad, Precision::bf16);
  set_num_threads(threads_before);
  CHECK(one.out == two.out);
  CHECK(one.query_grad == two.query_grad);
  CHECK(one.key_grad == two.key_grad);
  CHECK(one.value_grad == two.value_grad);
}

TEST_CASE("exact attention: output and gradients match a naive reference, causal and not") {
  for (const bool causal : {true, false})
    for (const int64_t time : {1, 7, 64, 67, 130})
      for (const int64_t dim : {8, 16, 64}) check_against_naive(1, 2, time, dim, causal);
  check_against_naive(2, 3, 200, 24, true);
  check_against_naive(1, 1, 70, 100, false);
}

TEST_CASE("exact attention: backward against finite differences") {
  for (const bool causal : {true, false}) {
    const Shape shape{1, 2, 7, 4};
    const Tensor q = random_input(shape, 21), k = random_input(shape, 22), v = random_input(shape, 23);
    check_gradients([&] { return exact_attention(q, k, v, causal); }, {q, k, v});
  }
  // Two tiles, the second partial.
  const Shape shape{1, 1, 67, 8};
  const Tensor q = random_input(shape, 24), k = random_input(shape, 25), v = random_input(shape, 26);
  check_gradients([&] { return exact_attention(q, k, v); }, {q, k, v});
}

TEST_CASE("exact attention: results are bit-identical for 1 and 2 threads") {
  const Shape shape{1, 3, 300, 32};
  const Tensor q = random_input(shape, 31), k = random_input(shape, 32), v = random_input(shape, 33);
  const std::vector<float> out_grad = random_values(q.numel(), 34);
  const int threads_before = num_threads();
  for (const bool causal : {true, false}) {
    set_num_threads(1);
    const Computed one = run_exact_attention(q, k, v, causal, out_grad);
    set_num_threads(2);
    const Computed two = run_exact_attention(q, k, v, causal, out_grad);
    CHECK(one.out == two.out);
    CHECK(one.query_grad == two.query_grad);
    CHECK(one.key_grad == two.key_grad);
    CHECK(one.value_grad == two.value_grad);
  }
  set_num_threads(threads_before);
}

TEST_CASE("exact attention: large scores stay finite and exact") {
  // Scores of magnitude ~1e4: a naive exp would overflow; every row's softmax
  // is then nearly one-hot, including row 0 with its single candidate.
  for (const bool causal : {true, false}) check_against_naive(1, 2, 130, 16, causal, 40.0f);

  const Shape shape{1, 1, 67, 8};
  const Tensor q = Tensor::full(shape, 1e18f), k = Tensor::full(shape, -1e18f), v = random_input(shape, 41);
  const std::vector<float> out = exact_attention(q, k, v).to_vector();
  CHECK(std::all_of(out.begin(), out.end(), [](float x) { return std::isfinite(x); }));
  // The first query sees only the first key: its output is v_0.
  for (int64_t c = 0; c < 8; ++c) CHECK(out[c] == v.data()[c]);
  Tape::current().clear();
}

TEST_CASE("exact attention: bad shapes are errors that name them") {
  CHECK_THROWS_WITH_AS(exact_attention(Tensor::zeros({2, 3}), Tensor::zeros({2, 3}), Tensor::zeros({2, 3})),
                       "exact_attention: need q of shape [B, H, T, d] with T, d >= 1, got [2, 3]", Error);
  const Tensor four_rows = Tensor::zeros({1, 1, 4, 8}), five_rows = Tensor::zeros({1, 1, 5, 8});
  CHECK_THROWS_AS(exact_attention(four_rows, five_rows, four_rows), Error);
}
