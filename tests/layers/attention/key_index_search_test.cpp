// Tests of the parts the key indexes share: the packed candidate order, the
// streaming top-k, the enumeration of slots outside a head, Floyd's distinct
// ranks and the rounding of bounds (key_index_search.h, key_index_heads.h,
// key_index_sampling.h).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/rng.h"
#include "layers/attention/key_index_heads.h"
#include "layers/attention/key_index_sampling.h"
#include "layers/attention/key_index_search.h"

using namespace knnformer;
using namespace knnformer::attention::key_search;

namespace {

struct Scored {
  float score;
  int32_t slot;
};

// The top k by score, ties to the lower slot, listed in ascending slot order.
std::vector<Scored> brute_force_top(std::vector<Scored> all, int64_t k) {
  std::stable_sort(all.begin(), all.end(), [](const Scored& a, const Scored& b) { return a.score > b.score; });
  all.resize(std::min<size_t>(all.size(), k));
  std::sort(all.begin(), all.end(), [](const Scored& a, const Scored& b) { return a.slot < b.slot; });
  return all;
}

}  // namespace

TEST_CASE("key search: packed candidates order by score, then by the lower slot") {
  const float scores[] = {-INFINITY, -3.5f, -1e-30f, -0.0f, 0.0f, 1e-30f, 2.0f, 7.25f};
  for (size_t a = 0; a < std::size(scores); ++a)
    for (size_t b = 0; b < std::size(scores); ++b)
      for (const int32_t slot_a : {0, 5, 1 << 30})
        for (const int32_t slot_b : {0, 5, 1 << 30}) {
          const Candidate x = pack_candidate(scores[a], slot_a), y = pack_candidate(scores[b], slot_b);
          const bool expected = scores[a] > scores[b] || (scores[a] == scores[b] && slot_a < slot_b);
          CHECK((x > y) == expected);
          CHECK(slot_of(x) == slot_a);
          CHECK(score_of(x) == scores[a]);
        }
}

TEST_CASE("key search: the streaming top-k keeps the best k, in the order offered") {
  CounterRng rng(1, {});
  for (const int64_t k : {1, 7, 64, 300}) {
    for (const bool ties : {false, true}) {
      INFO("k ", k, ", ties ", ties);
      StreamingTopK best(k);
      best.clear();
      std::vector<Scored> offered;
      std::vector<float> tile(kTile);
      int64_t slot = 0;
      // Uneven offers, as masked causal tiles make them.
      for (int64_t offer = 0; offer < 40; ++offer) {
        const int64_t count = 1 + static_cast<int64_t>(rng.below(kTile));
        for (int64_t j = 0; j < count; ++j) {
          tile[j] = ties ? float(rng.below(4)) : rng.normal();
          offered.push_back({tile[j], static_cast<int32_t>(slot + j)});
        }
        best.offer(tile.data(), count, slot);
        slot += count;
      }
      const std::vector<Scored> expected = brute_force_top(offered, k);
      const std::span<const Candidate> found = best.best();
      REQUIRE(found.size() == expected.size());
      for (size_t n = 0; n < found.size(); ++n) {
        CHECK(slot_of(found[n]) == expected[n].slot);
        CHECK(score_of(found[n]) == expected[n].score);
      }
    }
  }
}

TEST_CASE("key search: the rank-th slot outside a head") {
  const std::vector<int32_t> head{0, 1, 4, 5, 6, 9, 15};
  std::vector<int64_t> outside;
  for (int32_t slot = 0; slot < 30; ++slot)
    if (!std::binary_search(head.begin(), head.end(), slot)) outside.push_back(slot);
  for (size_t rank = 0; rank < outside.size(); ++rank) CHECK(nth_slot_outside(head, rank) == outside[rank]);
  CHECK(nth_slot_outside({}, 3) == 3);
}

TEST_CASE("key search: distinct ranks, from none to all of a population") {
  for (const int64_t population : {1, 2, 10, 1000}) {
    for (const int64_t count : {int64_t{0}, int64_t{1}, population / 2, population}) {
      std::vector<int32_t> ranks(count);
      CounterRng rng(2, {uint64_t(population), uint64_t(count)});
      sample_distinct_ranks(population, count, rng, ranks.data());
      std::sort(ranks.begin(), ranks.end());
      CHECK(std::adjacent_find(ranks.begin(), ranks.end()) == ranks.end());
      CHECK(std::all_of(ranks.begin(), ranks.end(), [&](int32_t r) { return r >= 0 && r < population; }));
    }
  }
}

TEST_CASE("key search: bounds rounded to float stay bounds") {
  CounterRng rng(3, {});
  for (int n = 0; n < 100000; ++n) {
    const double value = (rng.uniform_double() - 0.5) * std::pow(10.0, double(rng.below(12)) - 6.0);
    const float rounded = round_up_to_float(value);
    CHECK(double(rounded) >= value);
    CHECK(std::abs(double(rounded) - value) <= 0x1.0p-22 * std::abs(value));
  }
  CHECK(round_up_to_float(0.0) == 0.0f);
}
