// The lazy Gumbel sampler on the real kNN indexes (build_key_index): exact
// samples whatever the index, the clustered one included when it probes few
// clusters and so leaves most of the work to its Cauchy–Schwarz bounds.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "core/tensor.h"
#include "layers/attention/index/key_index.h"
#include "layers/attention/index/key_index_factory.h"
#include "layers/attention/sampling/lazy_gumbel_sampler.h"
#include "layers/attention/sampling/lazy_gumbel_test_index.h"
#include "statistics.h"

using namespace knnformer;
using namespace knnformer::attention;
using namespace knnformer::testing;

namespace {

Tensor as_tensor(const Problem& p, const std::vector<float>& values) {
  return Tensor::from_vector({1, p.shape.heads, p.shape.time, p.shape.dim}, values);
}

// Chi-square of 100k draws for each of a few queries of head 1 against the
// exact softmax row (threshold at 1e-4, statistics.h); returns the tail work.
// The lazy path is what is tested: one draw planned per query start.
double check_exact_sampling(const Problem& p, const KeyIndex& index, const std::vector<int64_t>& queries) {
  constexpr int64_t kDraws = 100000;
  LazyGumbelSampler sampler(index, p.q.data(), p.k.data());
  for (const int64_t query : queries) {
    sampler.start_query(1, query);
    CounterRng rng = query_rng({3, 0, 0, 0}, SampleStream::forward, 1, query);
    std::vector<double> counts(p.candidates(query));
    int64_t outside = 0;
    for (int64_t n = 0; n < kDraws; ++n) {
      const int32_t key = sampler.draw(rng);
      if (key < 0 || key >= static_cast<int32_t>(counts.size())) ++outside;
      else counts[key] += 1;
    }
    const ChiSquare fit = chi_square(counts, softmax_row(p, 1, query));
    CAPTURE(query);
    INFO("chi-square ", fit.statistic, " on ", fit.degrees_of_freedom, " dof");
    REQUIRE(outside == 0);
    CHECK(fit.passes());
  }
  return sampler.statistics().tail_members_per_sample();
}

// random_problem's shape with Q and K near `centres` shared centres (N(0, 1)
// entries, noise N(0, 0.3²)): rows peaked on one centre's keys, with a tail
// spread over the other centres, as a clustered index meets them.
Problem clustered_problem(const AttentionShape& shape, uint64_t seed, int64_t centres) {
  Problem p = random_problem(shape, seed);
  std::vector<float> centre_values(centres * shape.dim);
  CounterRng rng(seed, {0xCE});
  rng.fill_normal(centre_values.data(), centre_values.size(), 0.0f, 1.0f);
  for (auto* m : {&p.q, &p.k}) {
    rng.fill_normal(m->data(), m->size(), 0.0f, 0.3f);
    for (size_t row = 0; row < m->size() / shape.dim; ++row) {
      const auto centre = static_cast<int64_t>(rng.below(centres));
      for (int64_t c = 0; c < shape.dim; ++c) (*m)[row * shape.dim + c] += centre_values[centre * shape.dim + c];
    }
  }
  return p;
}

}  // namespace

TEST_CASE("Lazy Gumbel sampler on build_key_index: lazy exact samples from the clustered index on clustered data") {
  // 8 centres over T = 512 keys, 24 clusters: rows that the sampler keeps
  // lazy (it scores a fraction of the tail), their tail groups bounded by
  // Cauchy–Schwarz, by a scanned cluster's largest score, and by s_min.
  const Problem p = clustered_problem({2, 512, 16}, 203, 8);
  const std::vector<int64_t> queries{511, 300, 40};
  for (const bool tight_tail : {false, true}) {
    CAPTURE(tight_tail);
    const KeyIndexOptions options{.kind = KeyIndexKind::clustered, .k = 24, .clusters = 24, .probes = 3, .seed = 5,
                                  .tight_tail = tight_tail};
    const auto index = build_key_index(options, as_tensor(p, p.q), as_tensor(p, p.k), true);
    const double tail_work = check_exact_sampling(p, *index, queries);
    MESSAGE(std::string(tight_tail ? "clustered index probing by bound: " : "clustered index: "), tail_work,
            " tail members per sample");
    // Lazy rows: a dense row would count its whole tail once in 100k draws.
    CHECK(tail_work > 0.05);
  }
}

TEST_CASE("Lazy Gumbel sampler on build_key_index: exact samples from the exact and the clustered index") {
  // T = 256 keys in 2 heads; k = 16; queries late (long tails), early (short), and i + 1 <= k.
  // (Sizes kept small: with one probe the lazy draws score most of a long tail.)
  const Problem p = random_problem({2, 256, 16}, 201, true, 1.5f);
  const std::vector<int64_t> queries{200, 60, 10};
  for (const std::string kind : {"exact", "exact, near tier", "clustered"}) {
    CAPTURE(kind);
    // One probe of 16 clusters: most keys sit in unscanned clusters. (On these
    // Gaussian keys their bounds are loose, and the clustered index's rows are
    // scored whole; the test above covers its lazy rows.)
    const bool clustered = kind == "clustered";
    const KeyIndexOptions options{.kind = clustered ? KeyIndexKind::clustered : KeyIndexKind::exact,
                                  .k = 16,
                                  .clusters = 16,
                                  .probes = 1,
                                  .seed = 5,
                                  .tight_tail = kind == "exact, near tier"};
    const auto index = build_key_index(options, as_tensor(p, p.q), as_tensor(p, p.k), true);
    const double tail_work = check_exact_sampling(p, *index, queries);
    MESSAGE(kind, " index: ", tail_work, " tail members per sample");
  }
}

TEST_CASE("Lazy Gumbel sampler on build_key_index: exact samples from a non-causal clustered index") {
  const Problem p = random_problem({2, 128, 16}, 202, false, 1.5f);
  const KeyIndexOptions options{.kind = KeyIndexKind::clustered, .k = 8, .clusters = 11, .probes = 1, .seed = 6};
  const auto index = build_key_index(options, as_tensor(p, p.q), as_tensor(p, p.k), false);
  check_exact_sampling(p, *index, {0, 127});
}

TEST_CASE("Lazy Gumbel sampler on build_key_index: the unsearched index's rows are scored whole, exactly") {
  // Every row with a tail is scored whole once per start (its tail counted
  // once), causal or not. Queries of scale 8 make rows tens of nats deep,
  // whose largest keys lie far above most queries' own keys: the
  // negligible threshold must follow the row's own largest score.
  for (const bool causal : {true, false}) {
    INFO("causal ", causal);
    const Problem p = random_problem({2, 300, 16}, 204, causal, 8.0f);
    const auto index = build_key_index({.kind = KeyIndexKind::none}, as_tensor(p, p.q), as_tensor(p, p.k), causal);
    REQUIRE_FALSE(index->searches_head());
    const std::vector<int64_t> queries{299, 150, 1};
    const double tail_work = check_exact_sampling(p, *index, queries);
    double tails = 0;
    for (const int64_t query : queries) tails += double(p.candidates(query) - 1);
    // Negligible keys are proposed at most e^{-20}·|C_i| times a draw.
    CHECK(tail_work * 100000 * double(queries.size()) == doctest::Approx(tails).epsilon(1e-3));
  }
}
