#include <doctest/doctest.h>

#include <cmath>

#include "core/autograd.h"
#include "core/parallel.h"
#include "core/rng.h"
#include "gradient_check.h"
#include "layers/attention/approximate_attention.h"
#include "layers/attention/exact_attention.h"
#include "layers/attention/measurement/attention_fidelity.h"

using namespace knnformer;
using testing::random_input;

namespace {

AttentionOptions knn_with_k(int64_t k, bool causal = true) {
  AttentionOptions options;
  options.mode = AttentionKind::knn;
  options.knn_k = k;
  options.causal = causal;
  return options;
}

struct Gradients {
  Tensor out;
  std::vector<float> q, k, v;
};

template <class Attention>
Gradients run(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& out_grad, Attention&& attention) {
  for (const Tensor* t : {&q, &k, &v}) t->zero_grad();
  Tensor out = attention();
  std::copy_n(out_grad.data(), out.numel(), out.grad());
  Tape::current().run_backward();
  return {out, {q.grad(), q.grad() + q.numel()}, {k.grad(), k.grad() + k.numel()}, {v.grad(), v.grad() + v.numel()}};
}

}  // namespace

TEST_CASE("knn attention with k >= T equals exact attention, outputs and gradients") {
  for (const bool causal : {true, false}) {
    CAPTURE(causal);
    const Tensor q = random_input({2, 3, 37, 16}, 1), k = random_input({2, 3, 37, 16}, 2),
                 v = random_input({2, 3, 37, 16}, 3), out_grad = random_input({2, 3, 37, 16}, 4);
    const Gradients exact = run(q, k, v, out_grad, [&] { return attention::exact_attention(q, k, v, causal); });
    const Gradients knn =
        run(q, k, v, out_grad, [&] { return attention::approximate_attention(q, k, v, knn_with_k(40, causal), {}); });
    CHECK(attention::relative_l2_error(knn.out.data(), exact.out.data(), q.numel()) < 1e-5);
    CHECK(attention::relative_l2_error(knn.q.data(), exact.q.data(), q.numel()) < 1e-5);
    CHECK(attention::relative_l2_error(knn.k.data(), exact.k.data(), q.numel()) < 1e-5);
    CHECK(attention::relative_l2_error(knn.v.data(), exact.v.data(), q.numel()) < 1e-5);
  }
}

namespace {

// Dense masked attention in double: query i attends to the keys with
// mask[i][j]; Σ weights ⊙ output, the scalar the finite differences differentiate.
double masked_attention_loss(const std::vector<double>& q, const std::vector<double>& k, const std::vector<double>& v,
                             const std::vector<std::vector<bool>>& mask, const std::vector<float>& weights,
                             int64_t time, int64_t dim) {
  double loss = 0;
  for (int64_t i = 0; i < time; ++i) {
    std::vector<double> scores(time, -1e300);
    double max_score = -1e300;
    for (int64_t j = 0; j < time; ++j) {
      if (!mask[i][j]) continue;
      double dot = 0;
      for (int64_t c = 0; c < dim; ++c) dot += q[i * dim + c] * k[j * dim + c];
      scores[j] = dot / std::sqrt(double(dim));
      max_score = std::max(max_score, scores[j]);
    }
    double total = 0;
    for (int64_t j = 0; j < time; ++j) total += mask[i][j] ? std::exp(scores[j] - max_score) : 0.0;
    for (int64_t c = 0; c < dim; ++c) {
      double out = 0;
      for (int64_t j = 0; j < time; ++j)
        if (mask[i][j]) out += std::exp(scores[j] - max_score) / total * v[j * dim + c];
      loss += weights[i * dim + c] * out;
    }
  }
  return loss;
}

}  // namespace

TEST_CASE("knn attention: sparse backward equals the gradient of attention over the fixed top-k sets") {
  // The top-k sets are piecewise constant in q and k, so the sparse backward
  // is the gradient of attention restricted to the sets the forward chose:
  // differentiate a dense double-precision reference with those sets frozen.
  const int64_t time = 13, dim = 4, k_size = 3;
  for (const bool causal : {true, false}) {
    CAPTURE(causal);
    const Tensor q = random_input({1, 1, time, dim}, 5), k = random_input({1, 1, time, dim}, 6),
                 v = random_input({1, 1, time, dim}, 7);
    std::vector<float> weights(time * dim);
    CounterRng(8, {}).fill_normal(weights.data(), time * dim, 0, 1);
    for (const Tensor* t : {&q, &k, &v}) t->zero_grad();
    const Tensor out = attention::approximate_attention(q, k, v, knn_with_k(k_size, causal), {});
    std::copy(weights.begin(), weights.end(), out.grad());
    Tape::current().run_backward();

    // The sets the forward chose: the keys whose weight in the output is non-zero, read off
    // an attention of the same q, k with identity values.
    Tensor identity = Tensor::zeros({1, 1, time, time});
    for (int64_t j = 0; j < time; ++j) identity.data()[j * time + j] = 1.0f;
    const Tensor q_wide = Tensor::zeros({1, 1, time, time}), k_wide = Tensor::zeros({1, 1, time, time});
    for (int64_t i = 0; i < time; ++i)
      for (int64_t c = 0; c < dim; ++c) {
        q_wide.data()[i * time + c] = q.data()[i * dim + c] * std::sqrt(float(time) / dim);
        k_wide.data()[i * time + c] = k.data()[i * dim + c];
      }
    std::vector<std::vector<bool>> mask(time, std::vector<bool>(time));
    {
      const NoGrad no_grad;
      const Tensor chosen = attention::approximate_attention(q_wide, k_wide, identity, knn_with_k(k_size, causal), {});
      for (int64_t i = 0; i < time; ++i)
        for (int64_t j = 0; j < time; ++j) mask[i][j] = chosen.data()[i * time + j] > 0.0f;
    }
    for (int64_t i = 0; i < time; ++i)
      CHECK(std::count(mask[i].begin(), mask[i].end(), true) == std::min<int64_t>(causal ? i + 1 : time, k_size));

    std::vector<double> values[3];
    const Tensor* inputs[3] = {&q, &k, &v};
    for (int which = 0; which < 3; ++which)
      values[which].assign(inputs[which]->data(), inputs[which]->data() + time * dim);
    const double step = 1e-4;  // double precision: truncation ~1e-8, rounding ~1e-12
    for (int which = 0; which < 3; ++which)
      for (int64_t e = 0; e < time * dim; ++e) {
        const double saved = values[which][e];
        values[which][e] = saved + step;
        const double up = masked_attention_loss(values[0], values[1], values[2], mask, weights, time, dim);
        values[which][e] = saved - step;
        const double down = masked_attention_loss(values[0], values[1], values[2], mask, weights, time, dim);
        values[which][e] = saved;
        const double numeric = (up - down) / (2 * step);
        INFO("input ", which, " element ", e);
        CHECK(inputs[which]->grad()[e] == doctest::Approx(numeric).epsilon(1e-4).scale(1.0));
      }
  }
}

TEST_CASE("knn attention: each query attends only to its top-k keys") {
  const Tensor q = random_input({1, 1, 20, 8}, 8), k = random_input({1, 1, 20, 8}, 9);
  // v = identity rows: out_i's entry j is the weight of key j in query i's softmax.
  Tensor v = Tensor::zeros({1, 1, 20, 20});
  for (int j = 0; j < 20; ++j) v.data()[j * 20 + j] = 1.0f;
  const Tensor q_wide = Tensor::zeros({1, 1, 20, 20}), k_wide = Tensor::zeros({1, 1, 20, 20});
  for (int i = 0; i < 20; ++i)
    for (int c = 0; c < 8; ++c) {
      q_wide.data()[i * 20 + c] = q.data()[i * 8 + c];
      k_wide.data()[i * 20 + c] = k.data()[i * 8 + c];
    }
  const NoGrad no_grad;
  const Tensor out = attention::approximate_attention(q_wide, k_wide, v, knn_with_k(4), {});
  for (int i = 0; i < 20; ++i) {
    int nonzero = 0;
    double total = 0;
    for (int j = 0; j < 20; ++j) {
      const float weight = out.data()[i * 20 + j];
      if (j > i) CHECK(weight == 0.0f);  // causal
      nonzero += weight > 0.0f;
      total += weight;
    }
    CHECK(nonzero == std::min(i + 1, 4));
    CHECK(total == doctest::Approx(1.0).epsilon(1e-5));
  }
}

TEST_CASE("every approximate mode and backward is bit-identical for 1 and 2 threads") {
  const Tensor q = random_input({2, 2, 70, 8}, 10), k = random_input({2, 2, 70, 8}, 11),
               v = random_input({2, 2, 70, 8}, 12), out_grad = random_input({2, 2, 70, 8}, 13);
  struct Mode {
    AttentionKind forward;
    BackwardMode backward;
    KeyIndexKind index;
  };
  using enum AttentionKind;
  constexpr BackwardMode sparse = BackwardMode::sparse, sampled = BackwardMode::sampled;
  constexpr KeyIndexKind exact_index = KeyIndexKind::exact, clustered = KeyIndexKind::clustered;
  for (const Mode mode : {Mode{knn, sparse, exact_index}, Mode{knn, sampled, clustered},
                          Mode{gumbel, sampled, exact_index}, Mode{gumbel, sampled, clustered},
                          Mode{knn_tail, BackwardMode::exact, exact_index}, Mode{knn_tail, sparse, clustered}}) {
    CAPTURE(name_of(mode.forward));
    CAPTURE(name_of(mode.backward));
    CAPTURE(name_of(mode.index));
    AttentionOptions options = knn_with_k(8);
    options.mode = mode.forward;
    options.backward = mode.backward;
    options.knn_index = mode.index;
    options.samples = 8;
    AttentionCall call;
    call.context = {.seed = 3, .step = 5, .micro_step = 0, .training = true};
    call.layer = 1;
    const auto with_threads = [&](int threads) {
      set_num_threads(threads);
      return run(q, k, v, out_grad, [&] { return attention::approximate_attention(q, k, v, options, call); });
    };
    const Gradients one = with_threads(1), two = with_threads(2);
    set_num_threads(0);
    CHECK(one.out.to_vector() == two.out.to_vector());
    CHECK(one.q == two.q);
    CHECK(one.k == two.k);
    CHECK(one.v == two.v);
    // Another step draws other samples.
    if (mode.forward == gumbel) {
      call.context.step = 6;
      const NoGrad no_grad;
      CHECK(attention::approximate_attention(q, k, v, options, call).to_vector() != one.out.to_vector());
    }
  }
}

TEST_CASE("knn-tail covering its whole tail, and the exact backward, give exact attention") {
  const Tensor q = random_input({1, 2, 30, 8}, 14), k = random_input({1, 2, 30, 8}, 15),
               v = random_input({1, 2, 30, 8}, 16), out_grad = random_input({1, 2, 30, 8}, 17);
  const Gradients exact = run(q, k, v, out_grad, [&] { return attention::exact_attention(q, k, v); });
  AttentionOptions options = knn_with_k(8);
  options.mode = AttentionKind::knn_tail;
  options.samples = 30;  // m >= every tail: the tail sums are exact
  options.backward = BackwardMode::exact;
  const Gradients tail = run(q, k, v, out_grad, [&] { return attention::approximate_attention(q, k, v, options, {}); });
  CHECK(attention::relative_l2_error(tail.out.data(), exact.out.data(), q.numel()) < 1e-5);
  CHECK(attention::relative_l2_error(tail.q.data(), exact.q.data(), q.numel()) < 1e-5);
  CHECK(attention::relative_l2_error(tail.k.data(), exact.k.data(), q.numel()) < 1e-5);
  CHECK(attention::relative_l2_error(tail.v.data(), exact.v.data(), q.numel()) < 1e-5);
}

TEST_CASE("attention options: bad values are errors naming the option") {
  const Tensor q = Tensor::zeros({1, 1, 4, 2});
  AttentionOptions options = knn_with_k(-5);
  CHECK_THROWS_AS(attention::approximate_attention(q, q, q, options, {}), Error);
}
