#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

#include "core/parallel.h"
#include "layers/attention/sampling/lazy_gumbel_sampler.h"
#include "layers/attention/sampling/lazy_gumbel_test_index.h"
#include "statistics.h"

using namespace knnformer;
using namespace knnformer::attention;
using namespace knnformer::testing;

namespace {

constexpr int64_t kDraws = 100000;

struct Fit {
  ChiSquare chi_square;
  SamplingStatistics statistics;
  double work_variance = 0;  // of the tail members scored per sample
  double work_standard_error() const { return std::sqrt(work_variance / kDraws); }
};

// kDraws samples of one query through the sampler, against its exact softmax
// row. The chi-square threshold (statistics.h) fails a correct sampler with
// probability 1e-4; a sampler that ignores the tail, or draws it with a wrong
// threshold, misses probability mass of order 1/k and fails by far.
Fit fit_query(const Problem& problem, const KeyIndex& index, int64_t query, SamplerOptions options = {},
              uint64_t seed = 1, int64_t planned_draws = 1) {
  const int64_t head = problem.shape.heads - 1;
  LazyGumbelSampler sampler(index, problem.q.data(), problem.k.data(), options);
  sampler.start_query(head, query, planned_draws);
  CounterRng rng = query_rng({seed, 0, 0, 0}, SampleStream::forward, head, query);
  std::vector<double> counts(problem.candidates(query));
  int64_t outside = 0;  // draws that are not candidates of the query
  double work_squares = 0;
  for (int64_t n = 0; n < kDraws; ++n) {
    const double work_before = sampler.statistics().tail_members;
    const int32_t key = sampler.draw(rng);
    const double work = sampler.statistics().tail_members - work_before;
    work_squares += work * work;
    if (key < 0 || key >= static_cast<int32_t>(counts.size())) ++outside;
    else counts[key] += 1;
  }
  REQUIRE(outside == 0);
  const double mean_work = sampler.statistics().tail_members_per_sample();
  return {chi_square(counts, softmax_row(problem, head, query)), sampler.statistics(),
          work_squares / kDraws - mean_work * mean_work};
}

constexpr SamplerOptions kBinomialTail{.tail = TailDraw::binomial};

// The law of the tail work m per sample of TailDraw::binomial for an index
// with one tail group of n members and bound b: given the head maximum M = LSE + G', m is
// Binomial(n, p) with p = 1 − exp(−e^{b−M}) = 1 − exp(−c·X), c = e^{b − LSE},
// X = e^{−G'} ~ Exp(1). Over X: E[p] = c/(1 + c), E[p²] = 1 − 2/(1 + c) + 1/(1 + 2c),
// and Var(m) = n(E[p] − E[p²]) + n²(E[p²] − E[p]²).
struct TailWork {
  double mean = 0, variance = 0;
};

TailWork tail_work(const KeyIndex& index, int64_t head, int64_t query) {
  const Neighbours neighbours = index.neighbours(head, query);
  double total = 0.0;
  for (const float score : neighbours.scores) total += std::exp(double(score));
  const TailGroup group = index.tail_group(head, query, 0);
  const double c = std::exp(double(group.bound)) / total, n = double(group.size);
  const double p = c / (1 + c), p2 = 1 - 2 / (1 + c) + 1 / (1 + 2 * c);
  return {n * p, n * (p - p2) + n * n * (p2 - p * p)};
}

// The mean tail work of kDraws samples within 5 standard errors of its law.
void check_tail_work(const Fit& fit, const TailWork& law) {
  INFO("tail members per sample ", fit.statistics.tail_members_per_sample(), ", expected ", law.mean);
  CHECK(std::abs(fit.statistics.tail_members_per_sample() - law.mean) <= 5 * std::sqrt(law.variance / kDraws));
}

void check_fit(const Fit& fit) {
  INFO("chi-square ", fit.chi_square.statistic, " on ", fit.chi_square.degrees_of_freedom,
       " dof, tail members per sample ", fit.statistics.tail_members_per_sample());
  CHECK(fit.chi_square.degrees_of_freedom >= 1);
  CHECK(fit.chi_square.passes());
}

}  // namespace

TEST_CASE("Lazy Gumbel sampler: exact on peaked, flat, tied and short causal rows (chi-square, 100k draws)") {
  const AttentionShape shape{1, 200, 16};
  const int64_t last = shape.time - 1;
  SUBCASE("peaked: scores with standard deviation 3") {
    const Problem p = random_problem(shape, 11, true, 3.0f);
    check_fit(fit_query(p, SortedKeyIndex(p, {.k = 16}), last));
  }
  SUBCASE("moderate: scores with standard deviation 1, the tail carries much of the mass") {
    const Problem p = random_problem(shape, 12);
    check_fit(fit_query(p, SortedKeyIndex(p, {.k = 16}), last));
  }
  SUBCASE("flat: all scores equal, so the sample is uniform over C_i") {
    Problem p = random_problem(shape, 13);
    std::fill(p.q.begin(), p.q.end(), 0.0f);
    const SortedKeyIndex index(p, {.k = 16});
    const Fit rejection = fit_query(p, index, last);
    check_fit(rejection);
    // Every bound equals the scores: rejection proposes a tail key with
    // probability 184/200 (the tail's share of the proposal mass) and accepts
    // it always, so it scores one tail key with that probability, else none;
    // within 5 standard errors.
    CHECK(std::abs(rejection.statistics.tail_members_per_sample() - 0.92) <= 5 * std::sqrt(0.92 * 0.08 / kDraws));
    // Steps 2–3 as written draw every tail key whose Gumbel beats the
    // head's 16: E[m] = 184/17.
    const Fit binomial = fit_query(p, index, last, kBinomialTail);
    check_fit(binomial);
    CHECK(tail_work(index, 0, last).mean == doctest::Approx(184.0 / 17.0));
    check_tail_work(binomial, tail_work(index, 0, last));
  }
  SUBCASE("tied scores: keys repeat every 10 positions, ties straddle the head's edge") {
    Problem p = random_problem(shape, 14);
    for (int64_t j = 10; j < shape.time; ++j)
      std::copy_n(&p.k[(j % 10) * shape.dim], shape.dim, &p.k[j * shape.dim]);
    check_fit(fit_query(p, SortedKeyIndex(p, {.k = 16}), last));
  }
  SUBCASE("short causal rows: i + 1 <= k, the head is the whole row") {
    const Problem p = random_problem(shape, 15, true, 2.0f);
    for (const int64_t query : {0, 5, 15}) {
      const Fit fit = fit_query(p, SortedKeyIndex(p, {.k = 16}), query);
      CHECK(fit.statistics.tail_members == 0);
      if (query > 0) check_fit(fit);
    }
  }
  SUBCASE("non-causal: a query early in the sequence sees every key") {
    const Problem p = random_problem(shape, 16, false);
    check_fit(fit_query(p, SortedKeyIndex(p, {.k = 16}), 3));
  }
}

TEST_CASE("Lazy Gumbel sampler: exact with many bounded tail groups and loose bounds (clustered-like)") {
  const Problem p = random_problem({1, 300, 16}, 21, true, 1.5f);
  const SortedKeyIndex index(p, {.k = 8, .tail_groups = 12, .bound_slack = 0.5f});
  const Fit fit = fit_query(p, index, 299);
  check_fit(fit);
  // Loose bounds cost work, not exactness: more members are drawn and lose.
  const Fit tight = fit_query(p, SortedKeyIndex(p, {.k = 8, .tail_groups = 12}), 299);
  CHECK(fit.statistics.tail_members_per_sample() > tight.statistics.tail_members_per_sample());
  check_fit(fit_query(p, index, 299, kBinomialTail));
}

TEST_CASE("Lazy Gumbel sampler: rejection stays exact when most tail proposals are rejected") {
  // Bounds 3 nats too loose over 3 groups of a 24-key tail, the row kept
  // lazy: the tail gets about e^3 times its share of the proposals, and
  // nearly all of them are rejected (about 750,000 here), each after
  // drawing its member by the group's bound.
  const Problem p = random_problem({1, 40, 16}, 23, true, 1.5f);
  const SortedKeyIndex index(p, {.k = 8, .tail_groups = 3, .bound_slack = 3.0f});
  const Fit fit = fit_query(p, index, 31, {.dense_when_cheaper = false});
  check_fit(fit);
  CHECK(fit.statistics.tail_members_per_sample() > 5);
  CHECK(fit.statistics.tail_winners < 0.1 * fit.statistics.tail_members);
}

TEST_CASE("Lazy Gumbel sampler: draw() with a count gives the samples of as many single draws") {
  // It proposes ahead of the proposal it decides, in the same order, so the
  // samples are the same; only its statistics count the samples it returns.
  const Problem p = random_problem({1, 120, 16}, 25, true, 1.5f);
  const SortedKeyIndex index(p, {.k = 8, .tail_groups = 4, .bound_slack = 1.0f});
  for (const int64_t query : {0, 7, 60, 119}) {
    INFO("query ", query);
    // Kept lazy, so that the draws propose from the index's tail groups.
    const SamplerOptions lazy{.dense_when_cheaper = false};
    LazyGumbelSampler one_by_one(index, p.q.data(), p.k.data(), lazy), batched(index, p.q.data(), p.k.data(), lazy);
    one_by_one.start_query(0, query, 50);
    batched.start_query(0, query, 50);
    CounterRng first = query_rng({3, 0, 0, 0}, SampleStream::forward, 0, query), second = first;
    std::vector<int32_t> singles(50), together(50);
    for (int32_t& key : singles) key = one_by_one.draw(first);
    batched.draw(second, 50, together.data());
    CHECK(singles == together);
    CHECK(batched.statistics().samples == 50);
    CHECK(batched.statistics().tail_members == one_by_one.statistics().tail_members);
    if (query >= 8) CHECK(batched.statistics().tail_members > 0);  // queries past k have a tail to propose from
  }
}

TEST_CASE("Lazy Gumbel sampler: bounds far above the head's log-partition make the row dense, even when not asked") {
  // 600 nats of slack: one draw would take about e^{600} proposals (the
  // head's share of the proposal underflows), far more than scoring the row,
  // so the row is scored whole whatever the options say.
  const Problem p = random_problem({1, 60, 16}, 24, true, 1.5f);
  const SortedKeyIndex index(p, {.k = 8, .tail_groups = 2, .bound_slack = 600.0f});
  const Fit fit = fit_query(p, index, 59, {.dense_when_cheaper = false});
  check_fit(fit);
  CHECK(fit.statistics.tail_members == 52);  // the tail, scored once
}

TEST_CASE("Lazy Gumbel sampler: with bounds too loose to pay, the whole row is scored once and drawn from exactly") {
  const Problem p = random_problem({1, 300, 16}, 22, true, 1.5f);
  const SortedKeyIndex index(p, {.k = 8, .tail_groups = 12, .bound_slack = 1.0f});
  const Fit dense = fit_query(p, index, 299, {}, 1, kDraws);
  check_fit(dense);
  CHECK(dense.statistics.tail_members == 292);  // every tail key, once for all draws
  // One planned draw keeps the lazy path: it scores less than the tail per
  // draw. (3 nats of slack would not: one rejection draw would then cost
  // more proposals than the tail has keys, and the row is scored whole.)
  const Fit lazy = fit_query(p, index, 299);
  check_fit(lazy);
  CHECK(lazy.statistics.tail_members_per_sample() < 292);
  CHECK(lazy.statistics.tail_members_per_sample() > 2);
}

TEST_CASE("Lazy Gumbel sampler: a scored row's negligible keys are drawn by rejection, exactly") {
  // A threshold 2 nats under the head's largest score leaves most of the
  // row in the negligible group, with a loose bound, so that its proposals
  // and rejections are frequent; the draws stay exact, with the binomial
  // tail option too (a scored row is drawn by rejection whatever it says).
  const Problem p = random_problem({1, 300, 16}, 22, true, 1.5f);
  const SortedKeyIndex index(p, {.k = 8, .tail_groups = 12, .bound_slack = 1.0f});
  for (const TailDraw tail : {TailDraw::rejection, TailDraw::binomial}) {
    INFO("tail draw ", name_of(tail));
    const Fit fit = fit_query(p, index, 299, {.tail = tail, .negligible_nats = 2.0f}, 1, kDraws);
    check_fit(fit);
    CHECK(fit.statistics.tail_members > 292 + 0.1 * kDraws);  // the row once, then many group members
    CHECK(fit.statistics.tail_winners > 0);
  }
}

TEST_CASE("Lazy Gumbel sampler: a scored row with no key at its threshold is weighed from its own largest") {
  // A threshold above the head's largest score leaves no key of the row
  // weighed (as rounding different from the index's could, by far less):
  // the row's own largest score is the threshold then, and the rest of the
  // row its negligible group, drawn by rejection, exactly.
  const Problem p = random_problem({1, 300, 16}, 23, true, 1.0f);
  const SortedKeyIndex index(p, {.k = 8, .tail_groups = 12, .bound_slack = 1.0f});
  const Fit fit = fit_query(p, index, 299, {.negligible_nats = -5.0f}, 1, kDraws);
  check_fit(fit);
  CHECK(fit.statistics.tail_members > 292 + 0.5 * kDraws);  // most draws propose from the group
}

TEST_CASE("Lazy Gumbel sampler: the reference head and tail draws give the same distribution") {
  const Problem p = random_problem({1, 200, 16}, 31, true, 2.0f);
  const SortedKeyIndex index(p, {.k = 16});
  const TailWork law = tail_work(index, 0, 199);
  // Both head draws give the head maximum M the same law, so with the
  // binomial tail the tail work follows the law of m in either case.
  for (const HeadDraw head : {HeadDraw::per_candidate, HeadDraw::max_stable}) {
    const Fit fit = fit_query(p, index, 199, {.head = head, .tail = TailDraw::binomial});
    check_fit(fit);
    check_tail_work(fit, law);
  }
  // The literal head with the rejection tail, and rejection's work: U/Z per
  // sample, below the binomial tail's E[m], which is about U/Z_head.
  const Fit rejection = fit_query(p, index, 199, {.head = HeadDraw::per_candidate});
  check_fit(rejection);
  MESSAGE("tail members per sample: rejection ", rejection.statistics.tail_members_per_sample(), ", binomial ",
          law.mean);
  CHECK(rejection.statistics.tail_members_per_sample() < law.mean);
}

TEST_CASE("draw_attention_samples: every query's samples are valid candidates and the same for 1 and 2 threads") {
  const Problem p = random_problem({3, 97, 8}, 41, true, 1.5f);
  const SortedKeyIndex index(p, {.k = 8, .tail_groups = 3});
  const int64_t samples_per_query = 6;
  const auto draw = [&](int threads) {
    set_num_threads(threads);
    std::vector<int32_t> samples(p.q.size() / p.shape.dim * samples_per_query);
    SamplingStatistics statistics;
    draw_attention_samples(index, p.q.data(), p.k.data(), samples_per_query, {5, 6, 7, 8}, SampleStream::forward,
                           samples.data(), &statistics);
    set_num_threads(0);
    return std::make_pair(samples, statistics);
  };
  const auto [one, one_statistics] = draw(1);
  const auto [two, two_statistics] = draw(2);
  CHECK(one == two);
  CHECK(one_statistics.tail_members == two_statistics.tail_members);
  CHECK(one_statistics.samples == double(one.size()));
  for (size_t s = 0; s < one.size(); ++s) {
    const int64_t query = s / samples_per_query % p.shape.time;
    CHECK(one[s] >= 0);
    CHECK(one[s] <= query);  // causal
  }
}
