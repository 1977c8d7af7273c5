#include "layers/attention/selection_kernels.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <functional>
#include <utility>

#include "core/kernels/avx512_intrinsics.h"

namespace knnformer::attention::selection {

namespace {

bool ranks_above(float score, int32_t slot, float threshold_score, int32_t threshold_slot) {
  return score > threshold_score || (score == threshold_score && slot < threshold_slot);
}

}  // namespace

// --- scalar references ---------------------------------------------------------------

int64_t keep_offers_above_reference(const float* scores, int64_t count, int64_t first_slot, float threshold_score,
                                    int32_t threshold_slot, float* kept_scores, int32_t* kept_slots) {
  int64_t kept = 0;
  for (int64_t j = 0; j < count; ++j) {
    const auto slot = static_cast<int32_t>(first_slot + j);
    if (!ranks_above(scores[j], slot, threshold_score, threshold_slot)) continue;
    kept_scores[kept] = scores[j];
    kept_slots[kept] = slot;
    ++kept;
  }
  return kept;
}

int64_t compact_above_reference(float* scores, int32_t* slots, int64_t count, float threshold_score,
                                int32_t threshold_slot) {
  int64_t kept = 0;
  for (int64_t j = 0; j < count; ++j) {
    if (!ranks_above(scores[j], slots[j], threshold_score, threshold_slot)) continue;
    scores[kept] = scores[j];
    slots[kept] = slots[j];
    ++kept;
  }
  return kept;
}

float largest_reference(const float* values, int64_t count) {
  float best = -INFINITY;
  for (int64_t j = 0; j < count; ++j) best = values[j] > best ? values[j] : best;
  return best;
}

float kth_largest_reference(float* values, int64_t count, int64_t rank) {
  std::nth_element(values, values + rank - 1, values + count, std::greater<>());
  return values[rank - 1];
}

Entry kth_best_reference(const float* scores, const int32_t* slots, int64_t count, int64_t rank) {
  std::vector<Entry> entries(count);
  for (int64_t j = 0; j < count; ++j) entries[j] = {scores[j], slots[j]};
  std::nth_element(entries.begin(), entries.begin() + (rank - 1), entries.end(), [](const Entry& a, const Entry& b) {
    return ranks_above(a.score, a.slot, b.score, b.slot);
  });
  return entries[rank - 1];
}

namespace {

// The entry that kth_best returns, once the rank-th largest score is known:
// among the entries tied at that score, the (rank − above)-th lowest slot,
// with `above` the number of scores larger. Ties of continuous scores are
// rare, so the slots are sorted only when several tie.
Entry resolve_ties(float kth_score, int64_t above, int32_t* tied_slots, int64_t ties, int64_t rank) {
  int32_t* const kth_tie = tied_slots + (rank - above - 1);
  if (ties > 1) std::nth_element(tied_slots, kth_tie, tied_slots + ties);
  return {kth_score, *kth_tie};
}

}  // namespace

#if defined(__AVX512F__)

// --- AVX-512 -------------------------------------------------------------------------
//
// Kept lanes are gathered with the register form of compress and written with
// a full store: the memory form of compress is microcoded and several times
// slower on some cores (AMD Zen 4), and the full store is why outputs need
// kSelectionSlack entries of room.

namespace {

constexpr int64_t kLanes = 16;

__mmask16 lanes_mask(int64_t lanes) { return lanes >= kLanes ? __mmask16(0xFFFF) : __mmask16((1u << lanes) - 1); }

__mmask16 lanes_above(__mmask16 lanes, __m512 scores, __m512i slots, __m512 threshold_score,
                      __m512i threshold_slot) {
  const __mmask16 greater = _mm512_mask_cmp_ps_mask(lanes, scores, threshold_score, _CMP_GT_OQ);
  const __mmask16 tied = _mm512_mask_cmp_ps_mask(lanes, scores, threshold_score, _CMP_EQ_OQ);
  return greater | _mm512_mask_cmplt_epi32_mask(tied, slots, threshold_slot);
}

// Appends the lanes of `keep` to scores_out and slots_out at offset kept; returns the new count.
int64_t append_lanes(__mmask16 keep, __m512 scores, __m512i slots, float* scores_out, int32_t* slots_out,
                     int64_t kept) {
  _mm512_storeu_ps(scores_out + kept, _mm512_maskz_compress_ps(keep, scores));
  _mm512_storeu_si512(slots_out + kept, _mm512_maskz_compress_epi32(keep, slots));
  return kept + std::popcount(static_cast<unsigned>(keep));
}

// max_ps returns its second operand where either is NaN: a NaN never hides a larger value.
__m512 largest_lanes(const float* values, int64_t count) {
  __m512 largest = _mm512_set1_ps(-INFINITY);
  for (int64_t j = 0; j < count; j += kLanes)
    largest = _mm512_max_ps(_mm512_mask_loadu_ps(largest, lanes_mask(count - j), values + j), largest);
  return largest;
}

}  // namespace

float largest(const float* values, int64_t count) { return _mm512_reduce_max_ps(largest_lanes(values, count)); }

int64_t keep_offers_above(const float* scores, int64_t count, int64_t first_slot, float threshold_score,
                          int32_t threshold_slot, float* kept_scores, int32_t* kept_slots) {
  const __m512 threshold = _mm512_set1_ps(threshold_score);
  const __m512i threshold_slots = _mm512_set1_epi32(threshold_slot);
  const __m512i lane_offsets = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  // Once a threshold exists, most offers fall below it: one comparison of
  // their maximum rules them all out.
  if (_mm512_cmp_ps_mask(largest_lanes(scores, count), threshold, _CMP_GE_OQ) == 0) return 0;
  int64_t kept = 0;
  for (int64_t j = 0; j < count; j += kLanes) {
    const __mmask16 lanes = lanes_mask(count - j);
    const __m512 values = _mm512_maskz_loadu_ps(lanes, scores + j);
    const __m512i slots = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int32_t>(first_slot + j)), lane_offsets);
    const __mmask16 keep = lanes_above(lanes, values, slots, threshold, threshold_slots);
    kept = append_lanes(keep, values, slots, kept_scores, kept_slots, kept);
  }
  return kept;
}

int64_t compact_above(float* scores, int32_t* slots, int64_t count, float threshold_score, int32_t threshold_slot) {
  const __m512 threshold = _mm512_set1_ps(threshold_score);
  const __m512i threshold_slots = _mm512_set1_epi32(threshold_slot);
  int64_t kept = 0;
  // In place: the store for lanes [j, j + 16) covers [kept, kept + 16) with
  // kept <= j, so it never reaches lanes not loaded yet.
  for (int64_t j = 0; j < count; j += kLanes) {
    const __mmask16 lanes = lanes_mask(count - j);
    const __m512 values = _mm512_maskz_loadu_ps(lanes, scores + j);
    const __m512i value_slots = _mm512_maskz_loadu_epi32(lanes, slots + j);
    const __mmask16 keep = lanes_above(lanes, values, value_slots, threshold, threshold_slots);
    kept = append_lanes(keep, values, value_slots, scores, slots, kept);
  }
  return kept;
}

namespace {

// Below this many values, one nth_element beats another partition pass.
constexpr int64_t kSmallSelection = 16;
// A bad pivot sequence (which median-of-three makes unlikely) ends in nth_element.
constexpr int kMaxPartitions = 64;

float median_of_three(float a, float b, float c) { return std::max(std::min(a, b), std::min(std::max(a, b), c)); }

}  // namespace

float kth_largest(float* values, int64_t count, int64_t rank, float* scratch) {
  // Each pass splits `current` around a pivot: the larger values go to
  // `other`, the smaller ones stay in `current` (compacted in place, as in
  // compact_above), and the pass continues in whichever holds the rank-th.
  float* current = values;
  float* other = scratch;
  for (int partitions = 0; count > kSmallSelection && partitions < kMaxPartitions; ++partitions) {
    const float pivot = median_of_three(current[0], current[count / 2], current[count - 1]);
    const __m512 pivots = _mm512_set1_ps(pivot);
    int64_t larger = 0, smaller = 0;
    for (int64_t j = 0; j < count; j += kLanes) {
      const __mmask16 lanes = lanes_mask(count - j);
      const __m512 chunk = _mm512_maskz_loadu_ps(lanes, current + j);
      const __mmask16 above = _mm512_mask_cmp_ps_mask(lanes, chunk, pivots, _CMP_GT_OQ);
      const __mmask16 below = _mm512_mask_cmp_ps_mask(lanes, chunk, pivots, _CMP_LT_OQ);
      _mm512_storeu_ps(other + larger, _mm512_maskz_compress_ps(above, chunk));
      _mm512_storeu_ps(current + smaller, _mm512_maskz_compress_ps(below, chunk));
      larger += std::popcount(static_cast<unsigned>(above));
      smaller += std::popcount(static_cast<unsigned>(below));
    }
    if (rank <= larger) {
      std::swap(current, other);
      count = larger;
    } else if (rank <= count - smaller) {
      return pivot;  // the rank-th lies among the values equal to the pivot
    } else {
      rank -= count - smaller;
      count = smaller;
    }
  }
  return kth_largest_reference(current, count, rank);
}

Entry kth_best(const float* scores, const int32_t* slots, int64_t count, int64_t rank,
               SelectionWorkspace& workspace) {
  std::copy_n(scores, count, workspace.values.begin());
  const float kth_score = kth_largest(workspace.values.data(), count, rank, workspace.scratch.data());
  const __m512 kth = _mm512_set1_ps(kth_score);
  int64_t above = 0, ties = 0;
  for (int64_t j = 0; j < count; j += kLanes) {
    const __mmask16 lanes = lanes_mask(count - j);
    const __m512 chunk = _mm512_maskz_loadu_ps(lanes, scores + j);
    above += std::popcount(static_cast<unsigned>(_mm512_mask_cmp_ps_mask(lanes, chunk, kth, _CMP_GT_OQ)));
    const __mmask16 tied = _mm512_mask_cmp_ps_mask(lanes, chunk, kth, _CMP_EQ_OQ);
    if (tied == 0) continue;
    const __m512i chunk_slots = _mm512_maskz_loadu_epi32(lanes, slots + j);
    _mm512_storeu_si512(workspace.tied_slots.data() + ties, _mm512_maskz_compress_epi32(tied, chunk_slots));
    ties += std::popcount(static_cast<unsigned>(tied));
  }
  return resolve_ties(kth_score, above, workspace.tied_slots.data(), ties, rank);
}

#else

int64_t keep_offers_above(const float* scores, int64_t count, int64_t first_slot, float threshold_score,
                          int32_t threshold_slot, float* kept_scores, int32_t* kept_slots) {
  return keep_offers_above_reference(scores, count, first_slot, threshold_score, threshold_slot, kept_scores,
                                     kept_slots);
}

float largest(const float* values, int64_t count) { return largest_reference(values, count); }

int64_t compact_above(float* scores, int32_t* slots, int64_t count, float threshold_score, int32_t threshold_slot) {
  return compact_above_reference(scores, slots, count, threshold_score, threshold_slot);
}

float kth_largest(float* values, int64_t count, int64_t rank, float*) {
  return kth_largest_reference(values, count, rank);
}

Entry kth_best(const float* scores, const int32_t* slots, int64_t count, int64_t rank,
               SelectionWorkspace& workspace) {
  std::copy_n(scores, count, workspace.values.begin());
  const float kth_score = kth_largest_reference(workspace.values.data(), count, rank);
  int64_t above = 0, ties = 0;
  for (int64_t j = 0; j < count; ++j) {
    above += scores[j] > kth_score;
    if (scores[j] == kth_score) workspace.tied_slots[ties++] = slots[j];
  }
  return resolve_ties(kth_score, above, workspace.tied_slots.data(), ties, rank);
}

#endif

}  // namespace knnformer::attention::selection
