// Tests of the parts the key indexes share: the packed candidate order, the
// streaming top-k, the enumeration of slots outside a head, Floyd's distinct
// ranks and the rounding of bounds (key_index_search.h, key_index_heads.h,
// key_index_sampling.h).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/rng.h"
#include "layers/attention/index/key_index_heads.h"
#include "layers/attention/index/key_index_sampling.h"
#include "layers/attention/index/key_index_search.h"

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

TEST_CASE("key search: a score tile's columns do not depend on how many are asked for") {
  constexpr int64_t kDim = 24, kRows = 7;
  CounterRng rng(5, {});
  std::vector<float> queries(kRows * kDim), keys(kTile * kDim);
  rng.fill_normal(queries.data(), static_cast<int64_t>(queries.size()), 0, 1);
  rng.fill_normal(keys.data(), static_cast<int64_t>(keys.size()), 0, 1);
  KeyPanels panels(1, kDim);
  for (int64_t j = 0; j < kTile; ++j) panels.store(j, keys.data() + j * kDim);
  std::vector<float> all(kRows * kTile);
  score_tile(queries.data(), kRows, kDim, panels.panel(0), all.data());
  for (int64_t r = 0; r < kRows; ++r)
    for (int64_t j = 0; j < kTile; ++j) {
      double dot = 0.0;
      for (int64_t e = 0; e < kDim; ++e) dot += double(queries[r * kDim + e]) * keys[j * kDim + e];
      CHECK(all[r * kTile + j] == doctest::Approx(dot).epsilon(1e-5));
    }
  for (const int64_t columns : {int64_t{1}, int64_t{15}, int64_t{16}, int64_t{17}, int64_t{40}, kTile}) {
    CAPTURE(columns);
    constexpr float kUntouched = -12345.0f;
    std::vector<float> some(kRows * kTile, kUntouched);
    score_tile(queries.data(), kRows, kDim, panels.panel(0), some.data(), kTile, columns);
    for (int64_t r = 0; r < kRows; ++r)
      for (int64_t j = 0; j < kTile; ++j) CHECK(some[r * kTile + j] == (j < columns ? all[r * kTile + j] : kUntouched));
  }
}
