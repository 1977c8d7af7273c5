// Tests of the kNN indexes (docs/design.md §6, "kNN index") through the KeyIndex
// interface: the exact index against a brute-force top-k; for both indexes,
// that head and tail groups partition C_i, that every bound holds, that tail
// samples are uniform and distinct, determinism across thread counts; and
// the clustered index's recall@k against the exact one.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/parallel.h"
#include "core/rng.h"
#include "core/tensor.h"
#include "layers/attention/index/clustered_key_index.h"
#include "layers/attention/index/key_index.h"
#include "layers/attention/index/key_index_factory.h"
#include "statistics.h"

using namespace knnformer;
using attention::KeyIndex;
using attention::KeyIndexOptions;

namespace {

// --- data -------------------------------------------------------------------------------

// Entries N(0, scale²).
Tensor gaussian(const Shape& shape, uint64_t seed, float scale = 1.0f) {
  Tensor t = Tensor::empty(shape);
  CounterRng(seed, {0x6B1}).fill_normal(t.data(), t.numel(), 0.0f, scale);
  return t;
}

// Small integers (N(0, 4) rounded): dot products are exact in fp32 and many
// scores tie, which exercises the tie-break.
Tensor integers(const Shape& shape, uint64_t seed) {
  Tensor t = gaussian(shape, seed, 2.0f);
  float* values = t.data();
  for (int64_t e = 0; e < shape.numel(); ++e) values[e] = std::round(values[e]);
  return t;
}

// Rows near one of `centres` random centres (spread 3, noise 0.3): data with
// real clusters, shared by queries and keys when built from the same seed.
Tensor clustered(const Shape& shape, uint64_t centre_seed, uint64_t seed, int64_t centres) {
  const int64_t dim = shape[3], rows = shape.numel() / dim;
  std::vector<float> centre_values(centres * dim);
  CounterRng(centre_seed, {0xCE}).fill_normal(centre_values.data(), centres * dim, 0.0f, 3.0f);
  Tensor t = gaussian(shape, seed, 0.3f);
  float* values = t.data();
  CounterRng pick(seed, {0x91C});
  for (int64_t row = 0; row < rows; ++row) {
    const auto centre = static_cast<int64_t>(pick.below(centres));
    for (int64_t c = 0; c < dim; ++c) values[row * dim + c] += centre_values[centre * dim + c];
  }
  return t;
}

struct Problem {
  Problem(Tensor q_, Tensor k_, bool causal_)
      : q(std::move(q_)), k(std::move(k_)), causal(causal_), shape{q.size(0) * q.size(1), q.size(2), q.size(3)} {}

  Tensor q, k;
  bool causal;
  struct {
    int64_t heads, time, dim;
  } shape;  // read once: Tensor::size checks its argument every call

  int64_t heads() const { return shape.heads; }
  int64_t time() const { return shape.time; }
  int64_t dim() const { return shape.dim; }
  int64_t candidates(int64_t query) const { return causal ? query + 1 : time(); }

  // s·q_i·k_j in double.
  double score(int64_t head, int64_t query, int64_t key) const {
    const float* q_row = q.data() + (head * time() + query) * dim();
    const float* k_row = k.data() + (head * time() + key) * dim();
    double dot = 0.0;
    for (int64_t c = 0; c < dim(); ++c) dot += double(q_row[c]) * k_row[c];
    return dot / std::sqrt(double(dim()));
  }

  // s·q_i·k_j as a sampler might evaluate it: in fp32, summed backwards.
  float float_score(int64_t head, int64_t query, int64_t key) const {
    const float* q_row = q.data() + (head * time() + query) * dim();
    const float* k_row = k.data() + (head * time() + key) * dim();
    float dot = 0.0f;
    for (int64_t c = dim() - 1; c >= 0; --c) dot += q_row[c] * k_row[c];
    return dot / std::sqrt(float(dim()));
  }
};

std::unique_ptr<KeyIndex> build(const Problem& p, KeyIndexKind kind, int64_t k, int64_t clusters = 0,
                                int64_t probes = 0, bool tight_tail = false) {
  return attention::build_key_index(
      {.kind = kind, .k = k, .clusters = clusters, .probes = probes, .seed = 5, .tight_tail = tight_tail}, p.q, p.k,
      p.causal);
}

// --- brute force and the partition check -------------------------------------------------

// The top k of C_i by (double) score, ties to the lower position; ascending.
std::vector<int32_t> brute_force_head(const Problem& p, int64_t head, int64_t query, int64_t k) {
  std::vector<int32_t> keys(p.candidates(query));
  std::vector<double> scores(keys.size());
  for (size_t j = 0; j < keys.size(); ++j) keys[j] = static_cast<int32_t>(j), scores[j] = p.score(head, query, j);
  std::stable_sort(keys.begin(), keys.end(), [&](int32_t a, int32_t b) { return scores[a] > scores[b]; });
  keys.resize(std::min<size_t>(keys.size(), k));
  std::sort(keys.begin(), keys.end());
  return keys;
}

std::vector<int32_t> sorted_head(const KeyIndex& index, int64_t head, int64_t query) {
  const attention::Neighbours neighbours = index.neighbours(head, query);
  std::vector<int32_t> keys(neighbours.keys.begin(), neighbours.keys.end());
  std::sort(keys.begin(), keys.end());
  return keys;
}

// Every member of a tail group, by rank; where the group points to its
// members, they must be the same, in the same order. And a sample of all of
// them is all of them.
std::vector<int32_t> group_members(const KeyIndex& index, int64_t head, int64_t query, int64_t group) {
  const attention::TailGroup tail_group = index.tail_group(head, query, group);
  std::vector<int32_t> members(tail_group.size);
  for (int64_t rank = 0; rank < tail_group.size; ++rank) {
    members[rank] = index.tail_member(head, query, group, rank);
    if (tail_group.members) CHECK(tail_group.members[rank] == members[rank]);
  }
  std::vector<int32_t> sample(tail_group.size);
  CounterRng rng(1, {uint64_t(head), uint64_t(query), uint64_t(group)});
  index.sample_tail_group(head, query, group, tail_group.size, rng, sample.data());
  std::sort(sample.begin(), sample.end());
  std::vector<int32_t> sorted(members);
  std::sort(sorted.begin(), sorted.end());
  CHECK(sample == sorted);
  return members;
}

// What a query's partition looked like, for the caller's summaries.
struct PartitionSummary {
  int64_t groups = 0;
  int64_t tight_groups = 0;         // groups whose bound is within 1e-3 of their largest member score
  double largest_bound_margin = 0;  // max over groups of bound − (largest member score)
};

// Head and tail groups of one query partition C_i (each candidate in exactly
// one place), the head has min(k, |C_i|) members with their scores, and every
// group's bound holds for its members' scores computed in double.
PartitionSummary check_partition(const Problem& p, const KeyIndex& index, int64_t head, int64_t query, int64_t k) {
  INFO("head ", head, ", query ", query);
  const attention::Neighbours neighbours = index.neighbours(head, query);
  const int64_t candidates = p.candidates(query);
  CHECK(static_cast<int64_t>(neighbours.keys.size()) == std::min(k, candidates));
  std::vector<int> seen(candidates, 0);
  float smallest = INFINITY;
  for (size_t n = 0; n < neighbours.keys.size(); ++n) {
    const int32_t key = neighbours.keys[n];
    REQUIRE((key >= 0 && key < candidates));
    ++seen[key];
    CHECK(neighbours.scores[n] == doctest::Approx(p.score(head, query, key)).epsilon(1e-5).scale(1.0));
    smallest = std::min(smallest, neighbours.scores[n]);
  }
  CHECK(neighbours.min_score == smallest);

  PartitionSummary summary{.groups = index.tail_group_count(head, query), .largest_bound_margin = -INFINITY};
  attention::TailBoundsBuffer buffer;
  const attention::TailBounds all_bounds = index.tail_bounds(head, query, buffer);
  REQUIRE(static_cast<int64_t>(all_bounds.bounds.size()) == summary.groups);
  REQUIRE(static_cast<int64_t>(all_bounds.sizes.size()) == summary.groups);
  int64_t tail_size = 0;
  for (int64_t g = 0; g < summary.groups; ++g) {
    const attention::TailGroup group = index.tail_group(head, query, g);
    CHECK(group.size >= 1);
    CHECK(all_bounds.bounds[g] == group.bound);
    CHECK(all_bounds.sizes[g] == group.size);
    tail_size += group.size;
    double largest = -INFINITY;
    float largest_in_float = -INFINITY;
    for (const int32_t key : group_members(index, head, query, g)) {
      REQUIRE((key >= 0 && key < candidates));
      ++seen[key];
      largest = std::max(largest, p.score(head, query, key));
      largest_in_float = std::max(largest_in_float, p.float_score(head, query, key));
    }
    CHECK(largest <= double(group.bound));
    CHECK(largest_in_float <= group.bound);
    summary.largest_bound_margin = std::max(summary.largest_bound_margin, double(group.bound) - largest);
    summary.tight_groups += double(group.bound) - largest < 1e-3;
  }
  CHECK(tail_size == candidates - static_cast<int64_t>(neighbours.keys.size()));
  CHECK(std::all_of(seen.begin(), seen.end(), [](int count) { return count == 1; }));
  return summary;
}

void check_every_partition(const Problem& p, const KeyIndex& index, int64_t k) {
  for (int64_t head = 0; head < p.heads(); ++head)
    for (int64_t query = 0; query < p.time(); ++query) check_partition(p, index, head, query, k);
}

// --- uniformity ----------------------------------------------------------------------------

// Chi-square of the sets that `draw` produces (count members each, out of
// `population`) against the uniform distribution over all C(population, count) sets.
template <class Draw>
testing::ChiSquare subset_chi_square(int64_t population, int64_t count, int64_t samples, Draw&& draw) {
  std::map<std::vector<int32_t>, double> counts;
  std::vector<int32_t> members(count);
  for (int64_t n = 0; n < samples; ++n) {
    CounterRng rng(77, {uint64_t(n)});
    draw(rng, members.data());
    std::vector<int32_t> set(members);
    std::sort(set.begin(), set.end());
    REQUIRE(std::adjacent_find(set.begin(), set.end()) == set.end());  // distinct
    counts[set] += 1;
  }
  double subsets = 1;
  for (int64_t m = 0; m < count; ++m) subsets = subsets * double(population - m) / double(m + 1);
  REQUIRE(double(counts.size()) <= subsets);
  std::vector<double> observed;
  for (const auto& [set, seen] : counts) observed.push_back(seen);
  observed.resize(static_cast<size_t>(std::llround(subsets)), 0.0);  // sets never drawn
  return testing::chi_square(observed, std::vector<double>(observed.size(), 1.0 / subsets));
}

}  // namespace

// --- the exact index ---------------------------------------------------------------------------

TEST_CASE("exact key index: each head is the brute-force top k, ties to the lower position") {
  // T = 150 is no multiple of the 64-key tile; k = 8 gives rows with
  // |C_i| <= k (all of C_i) and rows with a tail; k = 200 >= T makes every
  // head all of C_i. Integer data ties many scores.
  const Shape shape{1, 2, 150, 16};
  for (const bool causal : {true, false})
    for (const int64_t k : {8, 200}) {
      INFO("causal ", causal, ", k ", k);
      const Problem p{integers(shape, 1), integers(shape, 2), causal};
      const auto index = build(p, KeyIndexKind::exact, k);
      int mismatches = 0;
      for (int64_t head = 0; head < p.heads(); ++head)
        for (int64_t query = 0; query < p.time(); ++query)
          mismatches += sorted_head(*index, head, query) != brute_force_head(p, head, query, k);
      CHECK(mismatches == 0);
    }
}

TEST_CASE("exact key index: all-equal scores give the first k positions") {
  const Shape shape{1, 1, 100, 8};
  const Problem p{Tensor::full(shape, 1.0f), Tensor::full(shape, 1.0f), true};
  const auto index = build(p, KeyIndexKind::exact, 8);
  for (const int64_t query : {0, 7, 8, 99}) {
    std::vector<int32_t> first(std::min<int64_t>(8, query + 1));
    for (size_t j = 0; j < first.size(); ++j) first[j] = static_cast<int32_t>(j);
    CHECK(sorted_head(*index, 0, query) == first);
  }
}

TEST_CASE("exact key index: head and one bounded tail group partition C_i") {
  for (const bool causal : {true, false}) {
    INFO("causal ", causal);
    const Shape shape{2, 1, 130, 64};
    const Problem p{gaussian(shape, 3), gaussian(shape, 4), causal};
    const int64_t k = 16;
    const auto index = build(p, KeyIndexKind::exact, k);
    for (int64_t head = 0; head < p.heads(); ++head)
      for (int64_t query = 0; query < p.time(); ++query) {
        const PartitionSummary summary = check_partition(p, *index, head, query, k);
        CHECK(summary.groups == (p.candidates(query) > k ? 1 : 0));
        if (summary.groups == 1) {
          // The bound is s_min plus a rounding slack that stays small.
          const float bound = index->tail_group(head, query, 0).bound;
          const float min_score = index->neighbours(head, query).min_score;
          CHECK(bound >= min_score);
          CHECK(bound - min_score <= 1e-3f);
        }
      }
    const attention::IndexStatistics statistics = index->statistics();
    const double per_head = causal ? 130.0 * 131.0 / 2.0 : 130.0 * 130.0;
    CHECK(statistics.queries == 260);
    CHECK(statistics.candidates == 2 * per_head);
    CHECK(statistics.keys_scored == statistics.candidates);
  }
}

TEST_CASE("exact key index with a near tier: head, the next k and the far rest partition C_i") {
  for (const bool causal : {true, false}) {
    INFO("causal ", causal);
    const Shape shape{2, 1, 130, 64};
    const Problem p{gaussian(shape, 5), gaussian(shape, 6), causal};
    const int64_t k = 16;
    const auto index =
        attention::build_key_index({.kind = KeyIndexKind::exact, .k = k, .tight_tail = true}, p.q, p.k, p.causal);
    const auto plain = build(p, KeyIndexKind::exact, k);
    for (int64_t head = 0; head < p.heads(); ++head)
      for (int64_t query = 0; query < p.time(); ++query) {
        const PartitionSummary summary = check_partition(p, *index, head, query, k);
        // The same head as without the tier.
        CHECK(sorted_head(*index, head, query) == sorted_head(*plain, head, query));
        const int64_t tail = p.candidates(query) - std::min(k, p.candidates(query));
        CHECK(summary.groups == (tail > k ? 2 : tail > 0 ? 1 : 0));
        if (tail == 0) continue;
        // The near tier holds the next min(k, tail) keys, bounded by its largest score, which
        // lies below the head's; the far rest is bounded lower still.
        const attention::TailGroup near = index->tail_group(head, query, 0);
        CHECK(near.size == std::min(k, tail));
        CHECK(near.bound <= plain->tail_group(head, query, 0).bound);
        if (summary.groups == 2) CHECK(index->tail_group(head, query, 1).bound <= near.bound);
      }
  }
}

TEST_CASE("exact key index: the tail bound holds where rounding decides between head and tail") {
  // Keys equal but for a last-bit jitter: their scores differ by about the
  // rounding error of the dot product itself, so a tail member's true score
  // (or another fp32 evaluation of it) often exceeds the head's s_min; the
  // rounding slack of the bound must cover that.
  const Shape shape{1, 1, 256, 64};
  const Problem p{gaussian(shape, 30, 4.0f), gaussian(shape, 31), true};
  const Tensor one_key = gaussian({1, 1, 1, 64}, 32, 4.0f);
  CounterRng jitter(33, {});
  for (int64_t j = 0; j < 256; ++j)
    for (int64_t c = 0; c < 64; ++c)
      p.k.data()[j * 64 + c] = one_key.data()[c] * (1.0f + 0x1.0p-23f * float(jitter.below(3)) - 0x1.0p-23f);
  const auto index = build(p, KeyIndexKind::exact, 8);
  int tail_above_min_score = 0;
  for (int64_t query = 8; query < p.time(); ++query) {
    check_partition(p, *index, 0, query, 8);
    const float min_score = index->neighbours(0, query).min_score;
    for (const int32_t key : group_members(*index, 0, query, 0))
      tail_above_min_score += p.score(0, query, key) > double(min_score);
  }
  MESSAGE("tail members whose true score exceeds s_min: ", tail_above_min_score);
  CHECK(tail_above_min_score > 0);  // the slack is needed, and suffices
}

// --- the clustered index -------------------------------------------------------------------------

TEST_CASE("clustered key index: head and tail groups partition C_i and every bound holds") {
  // On Gaussian data (loose clusters) and on clustered data (tight ones).
  // One probe, so that most candidates lie in unscanned clusters and their
  // Cauchy–Schwarz bounds carry the tail; four, by centroid score and by
  // bound (tight_tail), so that scanned clusters without head members become
  // groups of their own, bounded by their largest score.
  const Shape shape{1, 2, 300, 32};
  struct Case {
    std::string name;
    Problem problem;
  };
  struct Probing {
    int64_t probes;
    bool tight_tail;
  };
  for (const bool causal : {true, false}) {
    const Case cases[] = {{"gaussian", {gaussian(shape, 5), gaussian(shape, 6), causal}},
                          {"clustered", {clustered(shape, 9, 7, 6), clustered(shape, 9, 8, 6), causal}}};
    for (const Case& c : cases)
      for (const Probing probing : {Probing{1, false}, Probing{4, false}, Probing{4, true}}) {
        INFO(c.name, ", causal ", causal, ", probes ", probing.probes, ", tight_tail ", probing.tight_tail);
        const int64_t k = 12;
        const auto index =
            build(c.problem, KeyIndexKind::clustered, k, /*clusters=*/12, probing.probes, probing.tight_tail);
        double groups = 0, tight_groups = 0, margin = 0;
        for (int64_t head = 0; head < c.problem.heads(); ++head)
          for (int64_t query = 0; query < c.problem.time(); ++query) {
            const PartitionSummary summary = check_partition(c.problem, *index, head, query, k);
            groups += double(summary.groups);
            tight_groups += double(summary.tight_groups);
            margin = std::max(margin, summary.largest_bound_margin);
          }
        const double queries = double(c.problem.heads() * c.problem.time());
        // The bounds do real work: queries have many groups, the unscanned clusters.
        CHECK(groups / queries > 4);
        // With four probes on clustered data, queries scan clusters that the
        // head misses, and bound them tightly (measured: 1.6 to 2.0 per query;
        // on Gaussian data the head spreads over the scanned clusters: 0.2 to 0.4).
        if (probing.probes == 4 && c.name == "clustered") CHECK(tight_groups / queries > 1);
        MESSAGE(c.name, std::string(causal ? ", causal" : ", non-causal"), ", probes ", probing.probes,
                std::string(probing.tight_tail ? " by bound" : ""), ": mean tail groups per query ", groups / queries,
                ", tight ones ", tight_groups / queries, ", largest bound - max member score ", margin);
      }
  }
}

TEST_CASE("clustered key index: every query has min(k, |C_i|) neighbours, also with tiny clusters") {
  // 40 clusters of about 5 keys and k = 30: one probe never suffices, so the
  // search keeps scanning until it has k keys.
  const Shape shape{1, 1, 200, 16};
  const Problem p{gaussian(shape, 10), gaussian(shape, 11), true};
  const auto index = build(p, KeyIndexKind::clustered, 30, /*clusters=*/40, /*probes=*/1);
  check_every_partition(p, *index, 30);
}

TEST_CASE("clustered key index: one cluster scanned whole is the exact index") {
  const Shape shape{1, 2, 150, 16};
  for (const bool causal : {true, false}) {
    const Problem p{integers(shape, 12), integers(shape, 13), causal};
    const auto exact = build(p, KeyIndexKind::exact, 10);
    const auto one_cluster = build(p, KeyIndexKind::clustered, 10, /*clusters=*/1, /*probes=*/1);
    for (int64_t head = 0; head < p.heads(); ++head)
      for (int64_t query = 0; query < p.time(); ++query)
        CHECK(sorted_head(*one_cluster, head, query) == sorted_head(*exact, head, query));
  }
}

TEST_CASE("clustered key index: recall@k against the exact index") {
  // Floors, with the default probes, at T = 2048, d = 64, k = 48, 45
  // clusters, causal (measured: 0.28 and 0.95; bench_key_index measures
  // larger T): recall@k >= 0.25 on Gaussian data, which has no cluster
  // structure to find, and >= 0.9 on data near 32 shared centres.
  const Shape shape{1, 2, 2048, 64};
  const int64_t k = 48;
  const Problem gaussian_problem{gaussian(shape, 14), gaussian(shape, 15), true};
  const Problem clustered_problem{clustered(shape, 18, 16, 32), clustered(shape, 18, 17, 32), true};
  const double gaussian_recall =
      attention::recall_at_k(*build(gaussian_problem, KeyIndexKind::clustered, k),
                             *build(gaussian_problem, KeyIndexKind::exact, k));
  const double clustered_recall =
      attention::recall_at_k(*build(clustered_problem, KeyIndexKind::clustered, k),
                             *build(clustered_problem, KeyIndexKind::exact, k));
  MESSAGE("recall@", k, " with ", attention::kDefaultProbes, " probes: gaussian ", gaussian_recall, ", clustered ",
          clustered_recall);
  CHECK(gaussian_recall >= 0.25);
  CHECK(clustered_recall >= 0.9);
}

TEST_CASE("clustered key index: statistics count the keys scanned, far fewer than the candidates") {
  const Shape shape{1, 1, 4096, 32};
  const Problem p{gaussian(shape, 19), gaussian(shape, 20), true};
  const auto index = build(p, KeyIndexKind::clustered, 64);
  const attention::IndexStatistics statistics = index->statistics();
  CHECK(statistics.candidates == 4096.0 * 4097.0 / 2.0);
  CHECK(statistics.centroids_scored == 4096.0 * 64.0);
  CHECK(statistics.keys_scored >= 64.0 * 4096.0 - 64.0 * 63.0 / 2.0);  // at least min(k, |C_i|) per query
  CHECK(statistics.keys_scored < 0.2 * statistics.candidates);
  MESSAGE("keys scanned per query: ", statistics.keys_scored / statistics.queries, " of ",
          statistics.candidates / statistics.queries, " candidates");
}

// --- the unsearched index ---------------------------------------------------------------------------

TEST_CASE("unsearched key index: each query's own key, and the rest of C_i in one group whose bound holds") {
  const Shape shape{1, 2, 150, 16};
  for (const bool causal : {true, false}) {
    INFO("causal ", causal);
    const Problem p{gaussian(shape, 30), gaussian(shape, 31), causal};
    const auto index = build(p, KeyIndexKind::none, 8);  // k is not the unsearched index's
    CHECK_FALSE(index->searches_head());
    check_every_partition(p, *index, 1);
    for (int64_t head = 0; head < p.heads(); ++head)
      for (int64_t query = 0; query < p.time(); ++query) {
        const attention::Neighbours neighbours = index->neighbours(head, query);
        CHECK(neighbours.keys[0] == query);
        CHECK(index->tail_group_count(head, query) == (p.candidates(query) > 1 ? 1 : 0));
      }
    const attention::IndexStatistics statistics = index->statistics();
    CHECK(statistics.keys_scored == statistics.queries);  // its own key's score alone
  }
}

// --- sampling ---------------------------------------------------------------------------------------

TEST_CASE("tail samples are distinct and every set is equally likely") {
  // Small tails, so that every set can be counted: chi-square over all
  // C(n, m) sets of 40,000 draws, at significance 1e-4 (statistics.h).
  constexpr int64_t kSamples = 40000;
  const Shape shape{1, 1, 12, 8};
  const Problem p{gaussian(shape, 21), gaussian(shape, 22), true};

  SUBCASE("exact index, the whole tail (= its one group), m = 1, 2, 3, all") {
    const auto index = build(p, KeyIndexKind::exact, 3);
    const int64_t query = 9, tail = 10 - 3;
    REQUIRE(index->tail_group(0, query, 0).size == tail);
    for (const int64_t m : {int64_t{1}, int64_t{2}, int64_t{3}, tail}) {
      INFO("m = ", m);
      const testing::ChiSquare by_group = subset_chi_square(tail, m, kSamples, [&](CounterRng& rng, int32_t* out) {
        index->sample_tail_group(0, query, 0, m, rng, out);
      });
      CHECK(by_group.passes());
      const testing::ChiSquare whole = subset_chi_square(tail, m, kSamples, [&](CounterRng& rng, int32_t* out) {
        index->sample_tail(0, query, m, rng, out);
      });
      CHECK(whole.passes());
    }
  }

  SUBCASE("unsearched index, its one group and the whole tail, which skip the query's own key") {
    const auto index = build(p, KeyIndexKind::none, 1);
    const int64_t query = 7, tail = 7;
    REQUIRE(index->tail_group(0, query, 0).size == tail);
    for (const int64_t m : {int64_t{1}, int64_t{2}, int64_t{3}}) {
      INFO("m = ", m);
      CHECK(subset_chi_square(tail, m, kSamples, [&](CounterRng& rng, int32_t* out) {
              index->sample_tail_group(0, query, 0, m, rng, out);
              for (int64_t n = 0; n < m; ++n) REQUIRE(out[n] != query);
            }).passes());
      CHECK(subset_chi_square(tail, m, kSamples, [&](CounterRng& rng, int32_t* out) {
              index->sample_tail(0, query, m, rng, out);
              for (int64_t n = 0; n < m; ++n) REQUIRE(out[n] != query);
            }).passes());
    }
  }

  SUBCASE("clustered index, each group and the whole tail across its groups") {
    const auto index = build(p, KeyIndexKind::clustered, 2, /*clusters=*/4, /*probes=*/1);
    const int64_t query = 11;
    const int64_t groups = index->tail_group_count(0, query);
    REQUIRE(groups >= 2);
    int64_t tail = 0;
    for (int64_t g = 0; g < groups; ++g) {
      const int64_t size = index->tail_group(0, query, g).size;
      tail += size;
      const int64_t m = std::min<int64_t>(2, size);
      INFO("group ", g, " of size ", size);
      const testing::ChiSquare chi = subset_chi_square(size, m, kSamples, [&](CounterRng& rng, int32_t* out) {
        index->sample_tail_group(0, query, g, m, rng, out);
      });
      CHECK(chi.passes());
    }
    REQUIRE(tail == 12 - 2);
    for (const int64_t m : {1, 2, 3}) {
      INFO("whole tail, m = ", m);
      CHECK(subset_chi_square(tail, m, kSamples, [&](CounterRng& rng, int32_t* out) {
              index->sample_tail(0, query, m, rng, out);
            }).passes());
    }
  }
}

TEST_CASE("tail samples: a biased sampler fails the subset chi-square") {
  // The test's power: always including member 0 is caught.
  const testing::ChiSquare chi = subset_chi_square(7, 2, 40000, [](CounterRng& rng, int32_t* out) {
    out[0] = 0;
    out[1] = static_cast<int32_t>(1 + rng.below(6));
  });
  CHECK_FALSE(chi.passes());
}

// --- contracts and determinism -----------------------------------------------------------------------

TEST_CASE("key index: bad options and calls are errors") {
  const Shape shape{1, 1, 20, 8};
  const Problem p{gaussian(shape, 23), gaussian(shape, 24), true};
  CHECK_THROWS_AS(build(p, KeyIndexKind::exact, 0), Error);
  CHECK_THROWS_AS(build(p, KeyIndexKind::clustered, 4, -1), Error);
  CHECK_THROWS_AS(attention::build_key_index({}, p.q, gaussian({1, 1, 21, 8}, 25), true), Error);
  for (const KeyIndexKind kind : {KeyIndexKind::exact, KeyIndexKind::clustered}) {
    const auto index = build(p, kind, 4);
    const int64_t groups = index->tail_group_count(0, 19);
    CHECK_THROWS_AS(index->tail_group(0, 19, groups), Error);
    CHECK(index->tail_group_count(0, 2) == 0);  // |C_i| <= k: no tail
    std::vector<int32_t> members(20);
    CounterRng rng(1, {2});
    CHECK_THROWS_AS(index->sample_tail(0, 19, 20 - 4 + 1, rng, members.data()), Error);
    CHECK_NOTHROW(index->sample_tail(0, 19, 20 - 4, rng, members.data()));
  }
  const auto unsearched = build(p, KeyIndexKind::none, 4);
  CHECK(unsearched->tail_group_count(0, 0) == 0);  // C_0 = {0}: its own key, no tail
  CHECK_THROWS_AS(unsearched->tail_group(0, 0, 0), Error);
  CHECK_THROWS_AS(unsearched->tail_member(0, 19, 1, 0), Error);
  std::vector<int32_t> members(20);
  CounterRng rng(1, {3});
  CHECK_THROWS_AS(unsearched->sample_tail(0, 19, 20, rng, members.data()), Error);
  CHECK_NOTHROW(unsearched->sample_tail(0, 19, 19, rng, members.data()));
}

TEST_CASE("key indexes: results are identical for 1 and 2 threads") {
  const Shape shape{1, 3, 700, 32};
  const Problem p{gaussian(shape, 26), gaussian(shape, 27), true};
  const int threads_before = num_threads();
  for (const KeyIndexKind kind : {KeyIndexKind::exact, KeyIndexKind::clustered, KeyIndexKind::none}) {
    INFO(name_of(kind));
    set_num_threads(1);
    const auto one = build(p, kind, 24);
    set_num_threads(2);
    const auto two = build(p, kind, 24);
    int differences = 0;
    for (int64_t head = 0; head < p.heads(); ++head)
      for (int64_t query = 0; query < p.time(); ++query) {
        const attention::Neighbours a = one->neighbours(head, query), b = two->neighbours(head, query);
        differences += !std::equal(a.keys.begin(), a.keys.end(), b.keys.begin(), b.keys.end());
        differences += !std::equal(a.scores.begin(), a.scores.end(), b.scores.begin(), b.scores.end());
        differences += one->tail_group_count(head, query) != two->tail_group_count(head, query);
        for (int64_t g = 0; g < one->tail_group_count(head, query); ++g) {
          const attention::TailGroup x = one->tail_group(head, query, g), y = two->tail_group(head, query, g);
          differences += x.bound != y.bound || x.size != y.size;
        }
      }
    CHECK(differences == 0);
    CHECK(one->statistics().keys_scored == two->statistics().keys_scored);
  }
  set_num_threads(threads_before);
}
