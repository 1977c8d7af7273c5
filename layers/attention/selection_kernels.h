#pragma once
// The inner kernels of the streaming top-k (key_index_search.h): keeping the
// entries of a row that rank above a threshold, and finding the largest and
// the k-th largest of a set of scores. Each has an AVX-512 version (used
// when the compiler targets it) and a plain scalar reference; the tests
// compare the two, and builds without AVX-512 run the reference.
//
// Entries are (score, slot) pairs ranked by score, ties to the lower slot:
// (s, j) ranks above (t, m) when s > t, or s == t and j < m. A NaN score ranks
// above nothing and is never kept.
//
// Outputs are written with full 16-lane stores, so every output array needs
// room for kSelectionSlack entries past the last one kept.
#include <cstdint>
#include <vector>

namespace knnformer::attention::selection {

constexpr int64_t kSelectionSlack = 16;

// The entries (scores[j], first_slot + j), j < count, that rank above
// (threshold_score, threshold_slot), appended in order at kept_scores and
// kept_slots; returns how many.
int64_t keep_offers_above(const float* scores, int64_t count, int64_t first_slot, float threshold_score,
                          int32_t threshold_slot, float* kept_scores, int32_t* kept_slots);
int64_t keep_offers_above_reference(const float* scores, int64_t count, int64_t first_slot, float threshold_score,
                                    int32_t threshold_slot, float* kept_scores, int32_t* kept_slots);

// Compacts the entries (scores[j], slots[j]), j < count, in place to those
// that rank above (threshold_score, threshold_slot), in order; returns how many.
int64_t compact_above(float* scores, int32_t* slots, int64_t count, float threshold_score, int32_t threshold_slot);
int64_t compact_above_reference(float* scores, int32_t* slots, int64_t count, float threshold_score,
                                int32_t threshold_slot);

// The largest of values[0, count) that is not NaN; −∞ when there is none.
float largest(const float* values, int64_t count);
float largest_reference(const float* values, int64_t count);

// The rank-th largest (rank 1 is the largest) of values[0, count), none NaN,
// 1 <= rank <= count. Reorders values; values and scratch each hold room for
// count + kSelectionSlack floats. A quickselect whose partitions compare 16
// values at a time.
float kth_largest(float* values, int64_t count, int64_t rank, float* scratch);
float kth_largest_reference(float* values, int64_t count, int64_t rank);

struct Entry {
  float score;
  int32_t slot;
};

// Room for kth_best on up to `capacity` entries.
struct SelectionWorkspace {
  explicit SelectionWorkspace(int64_t capacity)
      : values(capacity + kSelectionSlack), scratch(capacity + kSelectionSlack),
        tied_slots(capacity + kSelectionSlack) {}
  std::vector<float> values, scratch;
  std::vector<int32_t> tied_slots;
};

// The rank-th best (rank 1 the best) of the entries (scores[j], slots[j]),
// j < count <= the workspace's capacity: none NaN, slots distinct,
// 1 <= rank <= count. Exactly `rank` entries rank at or above it.
Entry kth_best(const float* scores, const int32_t* slots, int64_t count, int64_t rank, SelectionWorkspace& workspace);
Entry kth_best_reference(const float* scores, const int32_t* slots, int64_t count, int64_t rank);

}  // namespace knnformer::attention::selection
