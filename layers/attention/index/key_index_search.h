#pragma once
// The search machinery that the exact and the clustered key index share
// (docs/design.md §6.2, "kNN index"): keys packed so that scores come out of the
// AVX-512 tile product a tile at a time, a streaming top-k per query row that
// needs O(k) memory however many keys it is offered, and the rounding slack
// that keeps an index's score bounds true upper bounds.
//
// Internal to the key indexes; the attention modes see only KeyIndex.
#include <bit>
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "core/kernels/top_k_selection.h"
#include "core/large_buffer.h"

namespace knnformer::attention::key_search {

// Score tiles are kTile queries by kTile keys, as in exact attention: a
// 64 × 64 tile and its 64 × d operands stay within a core's L1 and L2 caches.
constexpr int64_t kTile = 64;

constexpr int64_t tiles_for(int64_t count) { return (count + kTile - 1) / kTile; }

// Key rows laid out as the right operand of S = Q Kᵀ. Slot j lives in panel
// j / kTile, a d × kTile row-major block, at column j % kTile, so that each
// step of the tile product's inner dimension reads one contiguous row of 64
// keys. Slots never stored read as zero keys.
class KeyPanels {
 public:
  KeyPanels() = default;  // no panels
  KeyPanels(int64_t panels, int64_t dim) : dim_(dim), values_(panels * dim * kTile, 0.0f) {}

  void store(int64_t slot, const float* key);
  const float* panel(int64_t index) const { return values_.data() + index * dim_ * kTile; }

 private:
  int64_t dim_ = 0;
  LargeVector<float> values_;  // rebuilt every call: pooled, not fresh pages each time
};

// scores[r·scores_row_stride + j] = q_r·(the key in column j of the panel),
// for r < rows and j < columns <= kTile: raw dot products, unscaled. Query r
// is the row queries + r·dim. A score does not depend on `columns`; fewer
// columns (a panel's keys that a scan will read) only skip work.
void score_tile(const float* queries, int64_t rows, int64_t dim, const float* panel, float* scores,
                int64_t scores_row_stride = kTile, int64_t columns = kTile);

// A key met while searching, packed into 64 bits so that ranking two is one
// integer comparison: the high half is its raw score q·k in an order-
// preserving encoding, the low half the complement of its slot (where the
// search met it among this query's candidates: the key position itself for
// the exact index). A larger value ranks above a smaller one: the higher
// score, and on a tie the lower slot. A total order, so the head is a
// function of the scores alone, whatever order the search offers them in and
// whatever thread runs it.
using Candidate = uint64_t;

inline Candidate pack_candidate(float score, int64_t slot) {
  // + 0.0f turns −0 into +0, which must tie with it.
  const auto bits = std::bit_cast<uint32_t>(score + 0.0f);
  const uint32_t ordered = (bits & 0x80000000u) ? ~bits : bits | 0x80000000u;
  return uint64_t{ordered} << 32 | uint32_t(~static_cast<uint32_t>(slot));
}
inline float score_of(Candidate candidate) {
  const auto ordered = static_cast<uint32_t>(candidate >> 32);
  return std::bit_cast<float>((ordered & 0x80000000u) ? ordered & 0x7FFFFFFFu : ~ordered);
}
inline int32_t slot_of(Candidate candidate) { return static_cast<int32_t>(~static_cast<uint32_t>(candidate)); }
// The same score at another slot.
inline Candidate with_slot(Candidate candidate, int64_t slot) {
  return (candidate & 0xFFFFFFFF00000000u) | uint32_t(~static_cast<uint32_t>(slot));
}

// The k best candidates of everything offered to one query row. Offers that
// rank above the current threshold are appended (scores and slots side by
// side) to a buffer that is cut back to its best k whenever it reaches 2k
// entries: a quickselect finds the k-th best score, and a pass keeps what
// ranks at or above the k-th best candidate, in the order offered. Memory
// stays O(k), each admitted candidate costs O(1) amortised, and candidates
// offered in slot order come out in slot order, with no sort. After the first
// cut, the k-th best is a threshold that most offers fail; both the offers
// and the cuts go a vector at a time (core/kernels/top_k_selection.h).
class StreamingTopK {
 public:
  explicit StreamingTopK(int64_t k);

  void clear();
  // Offers the raw scores scores[j] of the keys at slots first_slot + j, for
  // j < count <= kTile.
  void offer(const float* scores, int64_t count, int64_t first_slot);
  // The best min(k, offered) candidates, in the order offered; the row's
  // search is over (clear() starts the next).
  std::span<const Candidate> best();

 private:
  void cut_to_best_k();

  int64_t k_;
  // [0, size_) in use; room for 2k + kTile entries and the kernels' slack.
  std::vector<float> scores_;
  std::vector<int32_t> slots_;
  kernels::selection::SelectionWorkspace workspace_;
  std::vector<Candidate> best_;
  int64_t size_ = 0;
  // The k-th best at the last cut; before the first, below every score.
  float threshold_score_ = -INFINITY;
  int32_t threshold_slot_ = INT32_MAX;
};

// Score bounds must hold for the real score s·q·k and for any fp32
// evaluation of it, since the samplers recompute tail scores in their own
// summation order. An fp32 dot product of d terms, in any order, is within
// γ_d·Σ|q_c·k_c| <= γ_d·‖q‖·‖k‖ of the real one, γ_d ≈ d·2⁻²⁴ (Higham,
// "Accuracy and Stability of Numerical Algorithms", §3.1), and scaling by s
// adds one more rounding. A bound derived from an fp32 score (s_min, or a
// centroid score q·μ_c) is raised by this slack, twice that error with margin,
// which covers both its own rounding and that of the evaluation it bounds.
double score_rounding_slack(int64_t dim, double scale, double query_norm, double largest_key_norm);

// A float >= value, at most 2⁻²² relative above it, for value zero or of
// magnitude above 2⁻¹²⁶: a bound computed in double stays a bound in float.
// (Moving value up by 2⁻²³ of its magnitude outruns the 2⁻²⁴ relative error
// of rounding to nearest.)
inline float round_up_to_float(double value) {
  return static_cast<float>(value + std::abs(value) * 0x1.0p-23);
}

// Σ_i |C_i| over the T queries of one head: T(T+1)/2 causally, T² otherwise.
inline double total_candidates(int64_t time, bool causal) {
  return causal ? 0.5 * double(time) * double(time + 1) : double(time) * double(time);
}

// ‖x‖ of a row of length dim, in double.
double norm(const float* x, int64_t dim);

}  // namespace knnformer::attention::key_search
