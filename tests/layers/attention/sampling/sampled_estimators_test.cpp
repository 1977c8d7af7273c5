#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/parallel.h"
#include "core/rng.h"
#include "layers/attention/sampling/lazy_gumbel_test_index.h"
#include "layers/attention/sampling/sampled_estimators.h"

using namespace knnformer;
using namespace knnformer::attention;
using namespace knnformer::testing;

namespace {

// Small problems: 2 heads, 24 positions, d = 8, a head of k = 4, so most
// rows have a real tail and many keys are drawn only now and then.
constexpr AttentionShape kShape{2, 24, 8};
constexpr SortedIndexOptions kIndex{.k = 4, .tail_groups = 2};

// The key of every call of these tests: seed, step 1, micro-step 0, layer 2.
SamplingKey key_of(uint64_t seed) { return {seed, 1, 0, 2}; }

std::vector<int32_t> draw_samples(const Problem& p, const KeyIndex& index, int64_t count, uint64_t seed,
                                  SampleStream stream = SampleStream::forward) {
  std::vector<int32_t> samples(p.shape.heads * p.shape.time * count);
  draw_attention_samples(index, p.q.data(), p.k.data(), count, key_of(seed), stream, samples.data(), nullptr);
  return samples;
}

// Scalar mean and standard error of values repeated over seeds.
class ScalarMoments {
 public:
  void add(double value) { sum_ += value, square_ += value * value, ++count_; }
  double mean() const { return sum_ / count_; }
  double standard_error() const {
    const double variance = (square_ - count_ * mean() * mean()) / (count_ - 1);
    return std::sqrt(std::max(variance, 0.0) / count_);
  }

 private:
  double sum_ = 0, square_ = 0, count_ = 0;
};

// How many fixed random ±1 projections of an estimate check_unbiased tests.
constexpr size_t kProjections = 8;

// The ±1 signs of projection `which` over `size` elements.
std::vector<double> projection_signs(size_t which, size_t size) {
  CounterRng rng(0x5167, {which});
  std::vector<double> signs(size);
  for (double& sign : signs) sign = rng.below(2) ? 1.0 : -1.0;
  return signs;
}

double project(const std::vector<double>& signs, const auto& values) {
  double total = 0.0;
  for (size_t e = 0; e < signs.size(); ++e) total += signs[e] * double(values[e]);
  return total;
}

// Mean and standard error, per element and per projection, of an estimate repeated over seeds.
class Moments {
 public:
  explicit Moments(size_t size) : elements_(size) {
    for (size_t which = 0; which < kProjections; ++which) signs_.push_back(projection_signs(which, size));
  }
  void add(const std::vector<float>& estimate) {
    for (size_t e = 0; e < elements_.size(); ++e) elements_[e].add(estimate[e]);
    for (size_t which = 0; which < kProjections; ++which) projections_[which].add(project(signs_[which], estimate));
  }
  const ScalarMoments& element(size_t e) const { return elements_[e]; }
  const ScalarMoments& projection(size_t which) const { return projections_[which]; }
  const std::vector<double>& signs(size_t which) const { return signs_[which]; }
  size_t size() const { return elements_.size(); }

 private:
  std::vector<ScalarMoments> elements_;
  std::vector<std::vector<double>> signs_;
  ScalarMoments projections_[kProjections];
};

// z with P(|N(0, 1)| > z) = erfc(z/√2) = probability, by bisection.
double two_sided_normal_quantile(double probability) {
  double low = 0.0, high = 40.0;
  while (high - low > 1e-9) {
    const double middle = 0.5 * (low + high);
    (std::erfc(middle / std::sqrt(2.0)) > probability ? low : high) = middle;
  }
  return low;
}

// Unbiasedness of an estimate against the exact value, by z = (mean −
// exact)/(standard error) over the seeds. Two checks, each failing an
// unbiased estimator with probability about 1e-4:
//   - element by element: every |z_e| within max(4, the two-sided 1e-4/n
//     Bonferroni quantile), i.e. "within 4 standard errors" corrected for
//     testing n elements at once;
//   - kProjections fixed random ±1 sums of all elements, each |z| within the
//     1e-4/kProjections quantile, which catches a small bias shared by many
//     elements. (Σ z_e² would not do: the elements are correlated, a sample
//     that lands on one key does not land on another, so Σ z_e² is not
//     chi-square. A projection is one sum per seed, independent across
//     seeds, whatever the correlation.)
// Elements drawn only now and then have skewed estimates, whose z is normal
// only over enough seeds: the tests use thousands.
// Elements that never vary (a causal row 0 has one candidate) must be exact.
void check_unbiased(const Moments& moments, const std::vector<double>& exact, const char* what) {
  INFO(what);
  std::vector<double> z;
  for (size_t e = 0; e < moments.size(); ++e) {
    const double se = moments.element(e).standard_error(), difference = moments.element(e).mean() - exact[e];
    if (se < 1e-7) {
      CHECK(std::abs(difference) <= 1e-5 * (1 + std::abs(exact[e])));
      continue;
    }
    z.push_back(difference / se);
  }
  const double bound = std::max(4.0, two_sided_normal_quantile(1e-4 / z.size()));
  double largest = 0.0;
  for (const double value : z) largest = std::max(largest, std::abs(value));
  INFO("largest |z| of an element ", largest, " (bound ", bound, ") of ", z.size());
  CHECK(z.size() > moments.size() / 2);
  CHECK(largest <= bound);
  const double projection_bound = two_sided_normal_quantile(1e-4 / kProjections);
  for (size_t which = 0; which < kProjections; ++which) {
    const ScalarMoments& projection = moments.projection(which);
    const double z_projection =
        (projection.mean() - project(moments.signs(which), exact)) / projection.standard_error();
    INFO("projection ", which, ": z ", z_projection, " (bound ", projection_bound, ")");
    CHECK(std::abs(z_projection) <= projection_bound);
  }
}

double mean_squared_error(const std::vector<float>& estimate, const std::vector<double>& exact) {
  double total = 0.0;
  for (size_t e = 0; e < exact.size(); ++e) total += (estimate[e] - exact[e]) * (estimate[e] - exact[e]);
  return total / exact.size();
}

std::vector<float> gumbel(const Problem& p, const std::vector<int32_t>& samples, int64_t count, int64_t groups = 1) {
  std::vector<float> out(p.q.size());
  gumbel_output(p.shape, samples.data(), count, p.v.data(), groups, out.data());
  return out;
}

struct Gradients {
  std::vector<float> q, k, v;
};

Gradients sampled_gradients(const Problem& p, const KeyIndex& index, const std::vector<int32_t>& samples,
                            int64_t count, const std::vector<double>* exact_output, SampledStart start,
                            uint64_t seed) {
  const std::vector<float> output = exact_output ? std::vector<float>(exact_output->begin(), exact_output->end())
                                                 : std::vector<float>();
  SampledBackward backward{.shape = p.shape,
                           .q = p.q.data(),
                           .k = p.k.data(),
                           .v = p.v.data(),
                           .grad_output = p.grad_output.data(),
                           .output = exact_output ? output.data() : nullptr,
                           .samples = samples.data(),
                           .samples_per_query = count,
                           .start = start,
                           .index = &index,
                           .key = key_of(seed)};
  Gradients g{std::vector<float>(p.q.size()), std::vector<float>(p.q.size()), std::vector<float>(p.q.size())};
  sampled_attention_backward(backward, g.q.data(), g.k.data(), g.v.data());
  return g;
}

}  // namespace

TEST_CASE("gumbel output: the mean over seeds is exact attention (unbiased)") {
  const Problem p = random_problem(kShape, 101, true, 1.5f);
  const SortedKeyIndex index(p, kIndex);
  const ExactAttention exact = exact_attention(p);
  Moments moments(p.q.size());
  for (uint64_t seed = 0; seed < 2000; ++seed) moments.add(gumbel(p, draw_samples(p, index, 8, seed), 8));
  check_unbiased(moments, exact.out, "gumbel output");
}

TEST_CASE("gumbel output: the squared error falls like 1/L") {
  // ô_i is a mean of L independent samples, so E‖ô − o‖² = tr Cov(v_j)/L
  // exactly: 16 times less at L = 32 than at L = 2. Each side averages
  // 200 seeds × 384 elements; their ratio's spread is a few percent, ±15% allowed.
  const Problem p = random_problem(kShape, 102, true, 1.5f);
  const SortedKeyIndex index(p, kIndex);
  const ExactAttention exact = exact_attention(p);
  double error[2] = {0, 0};
  for (uint64_t seed = 0; seed < 200; ++seed)
    for (const int64_t count : {2, 32})
      error[count == 32] += mean_squared_error(gumbel(p, draw_samples(p, index, count, seed), count), exact.out);
  const double ratio = error[0] / error[1];
  INFO("error ratio L=2 : L=32 is ", ratio);
  CHECK(ratio > 16 * 0.85);
  CHECK(ratio < 16 * 1.15);
}

TEST_CASE("gumbel output: median of means takes the per-coordinate median of the group means") {
  // One head, d = 1, values 0, 1, 100 at keys 0, 1, 2; every query holds the samples 0 0 1 1 2 2.
  const AttentionShape shape{1, 3, 1};
  const std::vector<float> v{0, 1, 100};
  const std::vector<int32_t> samples{0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2};
  std::vector<float> out(3);
  const auto run = [&](int64_t groups) {
    gumbel_output(shape, samples.data(), 6, v.data(), groups, out.data());
    return out[2];
  };
  CHECK(run(1) == doctest::Approx(202.0 / 6));               // the mean
  CHECK(run(3) == doctest::Approx(1.0));                     // median of 0, 1, 100
  CHECK(run(2) == doctest::Approx((1.0 / 3 + 201.0 / 3) / 2));  // the middle two of 1/3 and 67, averaged
  CHECK_THROWS_AS(run(4), Error);                            // 6 samples do not split into 4 groups
}

TEST_CASE("knn-tail output: exact once the tail is covered, and consistent as m grows") {
  for (const bool causal : {true, false}) {
    CAPTURE(causal);
    const Problem p = random_problem(kShape, 103, causal, 1.5f);
    const SortedKeyIndex index(p, kIndex);
    const ExactAttention exact = exact_attention(p);
    const auto run = [&](int64_t tail_samples, uint64_t seed) {
      std::vector<float> out(p.q.size());
      knn_tail_output(index, p.q.data(), p.k.data(), p.v.data(), tail_samples, {seed, 0, 0, 0}, out.data());
      return out;
    };
    // m >= |tail| (at most 23 here): every tail key with weight 1, so the exact sums.
    const std::vector<float> covered = run(24, 0);
    for (size_t e = 0; e < covered.size(); ++e) CHECK(covered[e] == doctest::Approx(exact.out[e]).epsilon(1e-5));
    // A ratio of unbiased sums: its error shrinks as m grows (here by a wide
    // margin at each step; 100 seeds average out the spread of each figure).
    double previous = HUGE_VAL;
    for (const int64_t m : {1, 4, 16}) {
      double error = 0.0;
      for (uint64_t seed = 0; seed < 100; ++seed) error += mean_squared_error(run(m, seed), exact.out);
      CAPTURE(m);
      CHECK(error < 0.7 * previous);
      previous = error;
    }
  }
}

TEST_CASE("sampled backward: dQ, dK, dV are unbiased for the exact gradient") {
  struct Variant {
    const char* name;
    bool causal, exact_output;
    SampledStart start;
  };
  for (const Variant& variant : {Variant{"exact D_i, uniform starts", true, true, SampledStart::uniform},
                                 Variant{"leave-one-out D_i, uniform starts", true, false, SampledStart::uniform},
                                 Variant{"exact D_i, importance starts", true, true, SampledStart::importance},
                                 Variant{"leave-one-out D_i, importance starts", true, false, SampledStart::importance},
                                 Variant{"non-causal, leave-one-out D_i", false, false, SampledStart::uniform}}) {
    const std::string name = variant.name;
    CAPTURE(name);
    Problem p = random_problem(kShape, 104, variant.causal, 1.5f);
    // Rows of very different ‖dO_i‖, so that importance starts matter.
    for (size_t e = 0; e < p.grad_output.size(); ++e) p.grad_output[e] *= 0.2f + float(e / kShape.dim % 5);
    const SortedKeyIndex index(p, kIndex);
    const ExactAttention exact = exact_attention(p);
    Moments q(p.q.size()), k(p.q.size()), v(p.q.size());
    for (uint64_t seed = 0; seed < 2000; ++seed) {
      // Fresh samples for the backward, as after a forward that drew none:
      // the importance starts must draw theirs independently of these.
      const std::vector<int32_t> samples = draw_samples(p, index, 4, seed, SampleStream::backward);
      const Gradients g = sampled_gradients(p, index, samples, 4,
                                            variant.exact_output ? &exact.out : nullptr, variant.start, seed);
      q.add(g.q), k.add(g.k), v.add(g.v);
    }
    check_unbiased(q, exact.grad_q, "dQ");
    check_unbiased(k, exact.grad_k, "dK");
    check_unbiased(v, exact.grad_v, "dV");
  }
}

TEST_CASE("sampled backward: the squared error falls like 1/L") {
  // With the exact D_i each estimate is a sum over rows of means of L
  // independent terms, so its squared error is exactly (Σ variances)/L:
  // 16 times less at L = 32 than at L = 2 (±15%, as for the gumbel output).
  const Problem p = random_problem(kShape, 105, true, 1.5f);
  const SortedKeyIndex index(p, kIndex);
  const ExactAttention exact = exact_attention(p);
  double error[2][3] = {};
  for (uint64_t seed = 0; seed < 200; ++seed)
    for (const int64_t count : {2, 32}) {
      const Gradients g = sampled_gradients(p, index, draw_samples(p, index, count, seed), count, &exact.out,
                                            SampledStart::uniform, seed);
      error[count == 32][0] += mean_squared_error(g.q, exact.grad_q);
      error[count == 32][1] += mean_squared_error(g.k, exact.grad_k);
      error[count == 32][2] += mean_squared_error(g.v, exact.grad_v);
    }
  for (int which = 0; which < 3; ++which) {
    const double ratio = error[0][which] / error[1][which];
    INFO("gradient ", "QKV"[which], ": error ratio L=2 : L=32 is ", ratio);
    CHECK(ratio > 16 * 0.85);
    CHECK(ratio < 16 * 1.15);
  }
}

TEST_CASE("sampled estimators: the same bits for 1 and 2 threads") {
  const Problem p = random_problem({3, 40, 8}, 106, true, 1.5f);
  const SortedKeyIndex index(p, kIndex);
  const auto run = [&](int threads) {
    set_num_threads(threads);
    const std::vector<int32_t> samples = draw_samples(p, index, 6, 9);
    std::vector<std::vector<float>> results{gumbel(p, samples, 6), gumbel(p, samples, 6, 3),
                                            std::vector<float>(p.q.size())};
    knn_tail_output(index, p.q.data(), p.k.data(), p.v.data(), 3, {9, 0, 0, 0}, results.back().data());
    for (const SampledStart start : {SampledStart::uniform, SampledStart::importance}) {
      Gradients g = sampled_gradients(p, index, samples, 6, nullptr, start, 9);
      for (auto* gradient : {&g.q, &g.k, &g.v}) results.push_back(std::move(*gradient));
    }
    set_num_threads(0);
    return results;
  };
  CHECK(run(1) == run(2));
}
