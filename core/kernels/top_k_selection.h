#pragma once
// The inner kernels of the streaming top-k (layers/attention/index/key_index_search.h):
// keeping the entries of a row that rank above a threshold, and finding the
// largest and the k-th largest of a set of scores.
//
//   const float row_max = kernels::selection::largest(scores, count);
//   kept += kernels::selection::keep_offers_above(scores, count, first_slot, threshold, threshold_slot,
//                                                 kept_scores + kept, kept_slots + kept);
//
// Entries are (score, slot) pairs ranked by score, ties to the lower slot:
// (s, j) ranks above (t, m) when s > t, or s == t and j < m. A NaN score ranks
// above nothing and is never kept.
//
// knnformer::kernels::selection runs the vector code of the best SIMD target
// the CPU has (core/kernels/simd_target.h), a vector of scores compared at
// a time and the kept lanes gathered with Highway's Compress (the register
// form: the memory form of AVX-512's compress is microcoded and several times
// slower on some cores, AMD Zen 4); each result equals its reference's.
// knnformer::kernels::selection::reference holds the scalar loops.
//
// Outputs are written a whole vector at a time, so every output array needs
// room for kSelectionSlack entries past the last one kept: the longest vector
// of floats, SVE's 2048 bits.
#include <cstdint>
#include <vector>

namespace knnformer::kernels::selection {

constexpr int64_t kSelectionSlack = 64;

// The entries (scores[j], first_slot + j), j < count, that rank above
// (threshold_score, threshold_slot), appended in order at kept_scores and
// kept_slots; returns how many.
int64_t keep_offers_above(const float* scores, int64_t count, int64_t first_slot, float threshold_score,
                          int32_t threshold_slot, float* kept_scores, int32_t* kept_slots);

// Compacts the entries (scores[j], slots[j]), j < count, in place to those
// that rank above (threshold_score, threshold_slot), in order; returns how many.
int64_t compact_above(float* scores, int32_t* slots, int64_t count, float threshold_score, int32_t threshold_slot);

// The largest of values[0, count) that is not NaN; −∞ when there is none.
float largest(const float* values, int64_t count);

// The rank-th largest (rank 1 is the largest) of values[0, count), none NaN,
// 1 <= rank <= count. Reorders values; values and scratch each hold room for
// count + kSelectionSlack floats. A quickselect whose partitions compare a
// vector of values at a time.
float kth_largest(float* values, int64_t count, int64_t rank, float* scratch);

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

namespace reference {
int64_t keep_offers_above(const float* scores, int64_t count, int64_t first_slot, float threshold_score,
                          int32_t threshold_slot, float* kept_scores, int32_t* kept_slots);
int64_t compact_above(float* scores, int32_t* slots, int64_t count, float threshold_score, int32_t threshold_slot);
float largest(const float* values, int64_t count);
float kth_largest(float* values, int64_t count, int64_t rank);
Entry kth_best(const float* scores, const int32_t* slots, int64_t count, int64_t rank);
}  // namespace reference

}  // namespace knnformer::kernels::selection
