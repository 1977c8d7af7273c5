#include "core/kernels/top_k_selection.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <limits>
#include <utility>

// Outside the per-target code, so defined once although this file is read once per target.
#ifndef KNNFORMER_CORE_KERNELS_COMPRESS_ORDER
#define KNNFORMER_CORE_KERNELS_COMPRESS_ORDER
namespace knnformer::kernels::selection {

// For each mask of 8 lanes, the indices of its set lanes in order, 4 bits
// each, lowest first: the permutation that compresses those lanes.
constexpr std::array<uint32_t, 256> compress_order_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t mask = 0; mask < 256; ++mask) {
    int placed = 0;
    for (uint32_t lane = 0; lane < 8; ++lane)
      if (mask >> lane & 1u) table[mask] |= lane << (4 * placed++);
  }
  return table;
}

inline constexpr std::array<uint32_t, 256> kCompressOrder = compress_order_table();

}  // namespace knnformer::kernels::selection
#endif

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "core/kernels/top_k_selection.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include "core/kernels/lanes-inl.h"

HWY_BEFORE_NAMESPACE();
namespace knnformer::kernels::selection::HWY_NAMESPACE {

using namespace ::knnformer::kernels::HWY_NAMESPACE;
using IntTag = hn::RebindToSigned<FloatTag>;
using IntVector = hn::Vec<IntTag>;
using FloatMask = hn::Mask<FloatTag>;

static_assert(HWY_MAX_BYTES / sizeof(float) <= kSelectionSlack, "a full store must fit in the outputs' slack");

// The row's last lanes, past count, are loaded as NaN: a NaN compares false
// with everything, so those lanes are never kept, counted or partitioned.
constexpr float kPadding = std::numeric_limits<float>::quiet_NaN();

HWY_INLINE int64_t lanes_per_vector() { return static_cast<int64_t>(hn::Lanes(FloatTag())); }

// v's lanes of `keep`, in order, first; the other lanes unspecified.
// AVX-512 and SVE compress in one instruction. Elsewhere (at most 8 lanes of
// 32 bits) the lanes come from a permutation looked up by the mask's bits in
// kCompressOrder: Highway's own Compress there builds its table on the stack
// at every call, which cost AVX2 a third of kNN attention's time.
template <class V>
HWY_INLINE V compress(V v, hn::Mask<hn::DFromV<V>> keep) {
#if HWY_HAVE_SCALABLE || (HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3)
  return hn::Compress(v, keep);
#else
  const hn::DFromV<V> d;
  const hn::RebindToSigned<decltype(d)> d_index;
  static_assert(HWY_MAX_BYTES / sizeof(float) <= 8, "the table orders at most 8 lanes");
  uint8_t keep_bits[8] = {};
  hn::StoreMaskBits(d, keep, keep_bits);
  const auto packed = hn::Set(d_index, static_cast<int32_t>(kCompressOrder[keep_bits[0]]));
  const auto nibble = hn::And(hn::Shr(packed, hn::ShiftLeft<2>(hn::Iota(d_index, 0))), hn::Set(d_index, 0xF));
  return hn::TableLookupLanes(v, hn::IndicesFromVec(d, nibble));
#endif
}

HWY_INLINE FloatMask lanes_above(FloatVector scores, IntVector slots, FloatVector threshold_score,
                                 IntVector threshold_slot) {
  const FloatMask tied_below_slot =
      hn::And(hn::Eq(scores, threshold_score), hn::RebindMask(FloatTag(), hn::Lt(slots, threshold_slot)));
  return hn::Or(hn::Gt(scores, threshold_score), tied_below_slot);
}

// Appends the lanes of `keep` to scores_out and slots_out at offset kept; returns the new count.
HWY_INLINE int64_t append_lanes(FloatMask keep, FloatVector scores, IntVector slots, float* scores_out,
                                int32_t* slots_out, int64_t kept) {
  hn::StoreU(compress(scores, keep), FloatTag(), scores_out + kept);
  hn::StoreU(compress(slots, hn::RebindMask(IntTag(), keep)), IntTag(), slots_out + kept);
  return kept + static_cast<int64_t>(hn::CountTrue(FloatTag(), keep));
}

float largest(const float* values, int64_t count) {
  const FloatTag d;
  const float lowest = -std::numeric_limits<float>::infinity();
  const int64_t lanes = lanes_per_vector();
  // Four running maxima, so that each comparison need not wait for the one
  // before; named, since vectors of some targets (SVE) cannot form arrays.
  FloatVector best0 = hn::Set(d, lowest), best1 = best0, best2 = best0, best3 = best0;
  // A lane is replaced only by a larger value: a NaN (larger than nothing) never enters.
  const auto keep_larger = [](FloatVector chunk, FloatVector& lane_best) {
    lane_best = hn::IfThenElse(hn::Gt(chunk, lane_best), chunk, lane_best);
  };
  int64_t j = 0;
  for (; j + 4 * lanes <= count; j += 4 * lanes) {
    keep_larger(hn::LoadU(d, values + j), best0);
    keep_larger(hn::LoadU(d, values + j + lanes), best1);
    keep_larger(hn::LoadU(d, values + j + 2 * lanes), best2);
    keep_larger(hn::LoadU(d, values + j + 3 * lanes), best3);
  }
  for (; j < count; j += lanes) keep_larger(load_up_to(d, values + j, count - j, lowest), best0);
  keep_larger(best1, best0);
  keep_larger(best2, best0);
  keep_larger(best3, best0);
  return hn::GetLane(hn::MaxOfLanes(d, best0));
}

int64_t keep_offers_above(const float* scores, int64_t count, int64_t first_slot, float threshold_score,
                          int32_t threshold_slot, float* kept_scores, int32_t* kept_slots) {
  const FloatTag d;
  const IntTag di;
  const FloatVector threshold = hn::Set(d, threshold_score);
  const IntVector threshold_slots = hn::Set(di, threshold_slot);
  const int64_t lanes = lanes_per_vector();
  int64_t kept = 0;
  const auto keep_vector = [&](FloatVector values, int64_t j) {
    const IntVector slots = hn::Add(hn::Set(di, static_cast<int32_t>(first_slot + j)), hn::Iota(di, 0));
    const FloatMask above = lanes_above(values, slots, threshold, threshold_slots);
    if (!hn::AllFalse(d, above)) kept = append_lanes(above, values, slots, kept_scores, kept_slots, kept);
  };
  // Once a threshold exists, most offers fall below it: one test of four
  // vectors rules them all out (a lane ranks above only if its score is at
  // least the threshold's; a NaN is at least nothing).
  int64_t j = 0;
  for (; j + 4 * lanes <= count; j += 4 * lanes) {
    const FloatVector values0 = hn::LoadU(d, scores + j), values1 = hn::LoadU(d, scores + j + lanes);
    const FloatVector values2 = hn::LoadU(d, scores + j + 2 * lanes), values3 = hn::LoadU(d, scores + j + 3 * lanes);
    const FloatMask any = hn::Or(hn::Or(hn::Ge(values0, threshold), hn::Ge(values1, threshold)),
                                 hn::Or(hn::Ge(values2, threshold), hn::Ge(values3, threshold)));
    if (hn::AllFalse(d, any)) continue;
    keep_vector(values0, j);
    keep_vector(values1, j + lanes);
    keep_vector(values2, j + 2 * lanes);
    keep_vector(values3, j + 3 * lanes);
  }
  for (; j < count; j += lanes) keep_vector(load_up_to(d, scores + j, count - j, kPadding), j);
  return kept;
}

int64_t compact_above(float* scores, int32_t* slots, int64_t count, float threshold_score, int32_t threshold_slot) {
  const FloatTag d;
  const IntTag di;
  const FloatVector threshold = hn::Set(d, threshold_score);
  const IntVector threshold_slots = hn::Set(di, threshold_slot);
  int64_t kept = 0;
  // In place: the store for lanes [j, j + L) covers [kept, kept + L) with
  // kept <= j, so it never reaches lanes not loaded yet.
  for (int64_t j = 0; j < count; j += lanes_per_vector()) {
    const FloatVector values = load_up_to(d, scores + j, count - j, kPadding);
    const IntVector value_slots = load_up_to(di, slots + j, count - j, 0);
    kept = append_lanes(lanes_above(values, value_slots, threshold, threshold_slots), values, value_slots, scores,
                        slots, kept);
  }
  return kept;
}

// The entry that kth_best returns, once the rank-th largest score is known:
// among the entries tied at that score, the (rank − above)-th lowest slot,
// with `above` the number of scores larger. Ties of continuous scores are
// rare, so the slots are sorted only when several tie.
HWY_INLINE Entry resolve_ties(float kth_score, int64_t above, int32_t* tied_slots, int64_t ties, int64_t rank) {
  int32_t* const kth_tie = tied_slots + (rank - above - 1);
  if (ties > 1) std::nth_element(tied_slots, kth_tie, tied_slots + ties);
  return {kth_score, *kth_tie};
}

// Below this many values, one nth_element beats another partition pass.
constexpr int64_t kSmallSelection = 16;
// A bad pivot sequence (which median-of-three makes unlikely) ends in nth_element.
constexpr int kMaxPartitions = 64;

HWY_INLINE float median_of_three(float a, float b, float c) {
  return std::max(std::min(a, b), std::min(std::max(a, b), c));
}

float kth_largest(float* values, int64_t count, int64_t rank, float* scratch) {
  const FloatTag d;
  // Each pass splits `current` around a pivot: the larger values go to
  // `other`, the smaller ones stay in `current` (compacted in place, as in
  // compact_above), and the pass continues in whichever holds the rank-th.
  float* current = values;
  float* other = scratch;
  for (int partitions = 0; count > kSmallSelection && partitions < kMaxPartitions; ++partitions) {
    const float pivot = median_of_three(current[0], current[count / 2], current[count - 1]);
    const FloatVector pivots = hn::Set(d, pivot);
    int64_t larger = 0, smaller = 0;
    for (int64_t j = 0; j < count; j += lanes_per_vector()) {
      const FloatVector chunk = load_up_to(d, current + j, count - j, kPadding);
      const FloatMask above = hn::Gt(chunk, pivots), below = hn::Lt(chunk, pivots);
      hn::StoreU(compress(chunk, above), d, other + larger);
      hn::StoreU(compress(chunk, below), d, current + smaller);
      larger += static_cast<int64_t>(hn::CountTrue(d, above));
      smaller += static_cast<int64_t>(hn::CountTrue(d, below));
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
  return reference::kth_largest(current, count, rank);
}

Entry kth_best(const float* scores, const int32_t* slots, int64_t count, int64_t rank,
               SelectionWorkspace& workspace) {
  const FloatTag d;
  const IntTag di;
  std::copy_n(scores, count, workspace.values.begin());
  const float kth_score = kth_largest(workspace.values.data(), count, rank, workspace.scratch.data());
  const FloatVector kth = hn::Set(d, kth_score);
  int64_t above = 0, ties = 0;
  for (int64_t j = 0; j < count; j += lanes_per_vector()) {
    const FloatVector chunk = load_up_to(d, scores + j, count - j, kPadding);
    above += static_cast<int64_t>(hn::CountTrue(d, hn::Gt(chunk, kth)));
    const FloatMask tied = hn::Eq(chunk, kth);
    if (hn::AllFalse(d, tied)) continue;
    const IntVector chunk_slots = load_up_to(di, slots + j, count - j, 0);
    hn::StoreU(compress(chunk_slots, hn::RebindMask(di, tied)), di, workspace.tied_slots.data() + ties);
    ties += static_cast<int64_t>(hn::CountTrue(d, tied));
  }
  return resolve_ties(kth_score, above, workspace.tied_slots.data(), ties, rank);
}

}  // namespace knnformer::kernels::selection::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE

#include "core/kernels/simd_target.h"

namespace knnformer::kernels::selection {

HWY_EXPORT(keep_offers_above);
HWY_EXPORT(compact_above);
HWY_EXPORT(largest);
HWY_EXPORT(kth_largest);
HWY_EXPORT(kth_best);

int64_t keep_offers_above(const float* scores, int64_t count, int64_t first_slot, float threshold_score,
                          int32_t threshold_slot, float* kept_scores, int32_t* kept_slots) {
  return KNNFORMER_DISPATCH(keep_offers_above)(scores, count, first_slot, threshold_score, threshold_slot,
                                               kept_scores, kept_slots);
}

int64_t compact_above(float* scores, int32_t* slots, int64_t count, float threshold_score, int32_t threshold_slot) {
  return KNNFORMER_DISPATCH(compact_above)(scores, slots, count, threshold_score, threshold_slot);
}

float largest(const float* values, int64_t count) { return KNNFORMER_DISPATCH(largest)(values, count); }

float kth_largest(float* values, int64_t count, int64_t rank, float* scratch) {
  return KNNFORMER_DISPATCH(kth_largest)(values, count, rank, scratch);
}

Entry kth_best(const float* scores, const int32_t* slots, int64_t count, int64_t rank,
               SelectionWorkspace& workspace) {
  return KNNFORMER_DISPATCH(kth_best)(scores, slots, count, rank, workspace);
}

namespace reference {

namespace {

bool ranks_above(float score, int32_t slot, float threshold_score, int32_t threshold_slot) {
  return score > threshold_score || (score == threshold_score && slot < threshold_slot);
}

}  // namespace

int64_t keep_offers_above(const float* scores, int64_t count, int64_t first_slot, float threshold_score,
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

int64_t compact_above(float* scores, int32_t* slots, int64_t count, float threshold_score, int32_t threshold_slot) {
  int64_t kept = 0;
  for (int64_t j = 0; j < count; ++j) {
    if (!ranks_above(scores[j], slots[j], threshold_score, threshold_slot)) continue;
    scores[kept] = scores[j];
    slots[kept] = slots[j];
    ++kept;
  }
  return kept;
}

float largest(const float* values, int64_t count) {
  float best = -INFINITY;
  for (int64_t j = 0; j < count; ++j) best = values[j] > best ? values[j] : best;
  return best;
}

float kth_largest(float* values, int64_t count, int64_t rank) {
  std::nth_element(values, values + rank - 1, values + count, std::greater<>());
  return values[rank - 1];
}

Entry kth_best(const float* scores, const int32_t* slots, int64_t count, int64_t rank) {
  std::vector<Entry> entries(count);
  for (int64_t j = 0; j < count; ++j) entries[j] = {scores[j], slots[j]};
  std::nth_element(entries.begin(), entries.begin() + (rank - 1), entries.end(), [](const Entry& a, const Entry& b) {
    return ranks_above(a.score, a.slot, b.score, b.slot);
  });
  return entries[rank - 1];
}

}  // namespace reference

}  // namespace knnformer::kernels::selection

#endif  // HWY_ONCE
