// The streaming top-k's kernels against their scalar references
// (core/kernels/top_k_selection.h), on continuous scores, heavy ties, signed
// zeros and infinities, at lengths around the vectors of 4, 8 and 16 floats,
// on every SIMD target this machine runs.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/kernels/top_k_selection.h"
#include "core/rng.h"
#include "kernel_testing.h"

using namespace knnformer;
using namespace knnformer::kernels::selection;
using knnformer::testing::for_each_simd_target;

namespace {

enum class Values { continuous, few_distinct, special };

std::vector<float> make_scores(int64_t count, Values kind, CounterRng& rng) {
  const float specials[] = {-INFINITY, -1.0f, -0.0f, 0.0f, 2.5f, INFINITY};
  std::vector<float> scores(count + kSelectionSlack);
  for (int64_t j = 0; j < count; ++j) {
    switch (kind) {
      case Values::continuous: scores[j] = rng.normal(); break;
      case Values::few_distinct: scores[j] = static_cast<float>(rng.below(3)); break;
      case Values::special: scores[j] = specials[rng.below(std::size(specials))]; break;
    }
  }
  return scores;
}

const Values kAllKinds[] = {Values::continuous, Values::few_distinct, Values::special};
const int64_t kCounts[] = {1, 3, 7, 9, 15, 16, 17, 47, 48, 49, 64, 100, 256, 1000};

}  // namespace

TEST_CASE("top-k selection: keep_offers_above matches its reference") {
  for_each_simd_target([] {
    CounterRng rng(11, {});
    for (const Values kind : kAllKinds)
      for (const int64_t count : {1, 3, 5, 9, 16, 31, 64, 100, 257})
        for (const float threshold : {-INFINITY, -0.0f, 0.0f, 1.0f, INFINITY})
          for (const int32_t threshold_slot : {0, 110, INT32_MAX}) {
            INFO("kind ", int(kind), " count ", count, " threshold ", threshold, " slot ", threshold_slot);
            const std::vector<float> scores = make_scores(count, kind, rng);
            std::vector<float> kept(count + kSelectionSlack), kept_reference(count);
            std::vector<int32_t> slots(count + kSelectionSlack), slots_reference(count);
            const int64_t first_slot = 100;
            const int64_t n = keep_offers_above(scores.data(), count, first_slot, threshold, threshold_slot,
                                                kept.data(), slots.data());
            const int64_t n_reference = reference::keep_offers_above(scores.data(), count, first_slot, threshold,
                                                                    threshold_slot, kept_reference.data(),
                                                                    slots_reference.data());
            REQUIRE(n == n_reference);
            for (int64_t j = 0; j < n; ++j) {
              CHECK(slots[j] == slots_reference[j]);
              CHECK(std::signbit(kept[j]) == std::signbit(kept_reference[j]));
              CHECK(kept[j] == kept_reference[j]);
            }
          }
  });
}

TEST_CASE("top-k selection: NaN scores are never kept, and hide no other score") {
  for_each_simd_target([] {
    // A NaN in every chunk, and one larger score after it in the same lanes.
    std::vector<float> scores(40 + kSelectionSlack, -1.0f);
    for (const int64_t j : {0, 3, 16, 17, 33}) scores[j] = NAN;
    scores[19] = 5.0f;
    std::vector<float> kept(40 + kSelectionSlack);
    std::vector<int32_t> slots(40 + kSelectionSlack);
    const int64_t n = keep_offers_above(scores.data(), 40, 0, 2.0f, INT32_MAX, kept.data(), slots.data());
    REQUIRE(n == 1);
    CHECK(slots[0] == 19);
    CHECK(kept[0] == 5.0f);
    std::vector<int32_t> positions(40 + kSelectionSlack);
    for (int32_t j = 0; j < 40; ++j) positions[j] = j;
    CHECK(compact_above(scores.data(), positions.data(), 40, -INFINITY, INT32_MAX) == 35);
    CHECK(std::none_of(scores.begin(), scores.begin() + 35, [](float score) { return std::isnan(score); }));
  });
}

TEST_CASE("top-k selection: largest matches its reference, and ignores NaN") {
  for_each_simd_target([] {
    CounterRng rng(13, {});
    for (const Values kind : kAllKinds)
      for (const int64_t count : kCounts) {
        INFO("kind ", int(kind), " count ", count);
        std::vector<float> values = make_scores(count, kind, rng);
        CHECK(largest(values.data(), count) == reference::largest(values.data(), count));
        CHECK(largest(values.data(), count) == *std::max_element(values.begin(), values.begin() + count));
        // A NaN in every other place, the true largest among them: still found.
        for (int64_t j = 0; j < count; j += 2) values[j] = NAN;
        CHECK(largest(values.data(), count) == reference::largest(values.data(), count));
      }
    const float all_nan[] = {NAN, NAN, NAN};
    CHECK(largest(all_nan, 3) == -INFINITY);
    CHECK(reference::largest(all_nan, 3) == -INFINITY);
    CHECK(largest(all_nan, 0) == -INFINITY);  // none at all (a query without a tail)
  });
}

TEST_CASE("top-k selection: largest finds the largest of any count (a score tile's row maximum)") {
  for_each_simd_target([] {
    CounterRng rng(14, {});
    for (const int64_t count : {1, 3, 16, 17, 64}) {
      std::vector<float> x(count);
      for (float& value : x) value = static_cast<float>(rng.uniform_double() * 10.0 - 5.0);
      x[count / 2] = 7.5f;
      CHECK(largest(x.data(), count) == 7.5f);
    }
  });
}

TEST_CASE("top-k selection: compact_above matches its reference, in place") {
  for_each_simd_target([] {
    CounterRng rng(12, {});
    for (const Values kind : kAllKinds)
      for (const int64_t count : kCounts)
        for (const float threshold : {-INFINITY, 0.0f, 1.0f}) {
          INFO("kind ", int(kind), " count ", count, " threshold ", threshold);
          std::vector<float> scores = make_scores(count, kind, rng);
          std::vector<int32_t> slots(count + kSelectionSlack);
          for (int64_t j = 0; j < count; ++j) slots[j] = static_cast<int32_t>(rng.below(50));
          std::vector<float> scores_reference = scores;
          std::vector<int32_t> slots_reference = slots;
          const int64_t n = compact_above(scores.data(), slots.data(), count, threshold, 25);
          const int64_t n_reference =
              reference::compact_above(scores_reference.data(), slots_reference.data(), count, threshold, 25);
          REQUIRE(n == n_reference);
          for (int64_t j = 0; j < n; ++j) {
            CHECK(slots[j] == slots_reference[j]);
            CHECK(scores[j] == scores_reference[j]);
          }
        }
  });
}

TEST_CASE("top-k selection: kth_largest matches its reference at every rank") {
  for_each_simd_target([] {
    CounterRng rng(13, {});
    for (const Values kind : kAllKinds)
      for (const int64_t count : kCounts) {
        const std::vector<float> scores = make_scores(count, kind, rng);
        std::vector<float> values(count + kSelectionSlack), scratch(count + kSelectionSlack);
        for (int64_t rank = 1; rank <= count; rank += 1 + count / 40) {
          INFO("kind ", int(kind), " count ", count, " rank ", rank);
          values = scores;
          const float found = kth_largest(values.data(), count, rank, scratch.data());
          values = scores;
          CHECK(found == reference::kth_largest(values.data(), count, rank));
        }
      }
  });
}

TEST_CASE("top-k selection: kth_largest on sorted and constant rows") {
  for_each_simd_target([] {
    for (const int64_t count : {49, 256, 1000}) {
      std::vector<float> ascending(count + kSelectionSlack), descending(count + kSelectionSlack),
          constant(count + kSelectionSlack, 3.0f), scratch(count + kSelectionSlack);
      for (int64_t j = 0; j < count; ++j) {
        ascending[j] = static_cast<float>(j);
        descending[j] = static_cast<float>(count - j);
      }
      for (const int64_t rank : {int64_t{1}, count / 2, count}) {
        INFO("count ", count, " rank ", rank);
        std::vector<float> values = ascending;
        CHECK(kth_largest(values.data(), count, rank, scratch.data()) == static_cast<float>(count - rank));
        values = descending;
        CHECK(kth_largest(values.data(), count, rank, scratch.data()) == static_cast<float>(count - rank + 1));
        values = constant;
        CHECK(kth_largest(values.data(), count, rank, scratch.data()) == 3.0f);
      }
    }
  });
}

TEST_CASE("top-k selection: kth_best matches its reference, ties going to the lower slot") {
  for_each_simd_target([] {
    CounterRng rng(14, {});
    for (const Values kind : kAllKinds)
      for (const int64_t count : kCounts) {
        const std::vector<float> scores = make_scores(count, kind, rng);
        // Distinct slots in a shuffled order, so that ties are not settled by position.
        std::vector<int32_t> slots(count + kSelectionSlack);
        for (int64_t j = 0; j < count; ++j) slots[j] = static_cast<int32_t>(3 * j);
        for (int64_t j = count - 1; j > 0; --j) std::swap(slots[j], slots[rng.below(j + 1)]);
        SelectionWorkspace workspace(count);
        for (int64_t rank = 1; rank <= count; rank += 1 + count / 40) {
          INFO("kind ", int(kind), " count ", count, " rank ", rank);
          const Entry found = kth_best(scores.data(), slots.data(), count, rank, workspace);
          const Entry expected = reference::kth_best(scores.data(), slots.data(), count, rank);
          CHECK(found.score == expected.score);
          CHECK(found.slot == expected.slot);
        }
      }
  });
}
