#pragma once
// The search machinery that the exact and the clustered key index share
// (DESIGN.md §4, "kNN index"): keys packed so that scores come out of the
// AVX-512 tile product a tile at a time, a streaming top-k per query row that
// needs O(k) memory however many keys it is offered, and the rounding slack
// that keeps an index's score bounds true upper bounds.
//
// Internal to the key indexes; the attention modes see only KeyIndex.
#include <cstdint>
#include <span>
#include <vector>

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
  KeyPanels(int64_t panels, int64_t dim) : dim_(dim), values_(panels * dim * kTile, 0.0f) {}

  void store(int64_t slot, const float* key);
  const float* panel(int64_t index) const { return values_.data() + index * dim_ * kTile; }

 private:
  int64_t dim_;
  std::vector<float> values_;
};

// scores[r·scores_row_stride + j] = q_r·(the key in column j of the panel),
// for r < rows and j < kTile: raw dot products, unscaled. Query r is the row
// queries + r·dim.
void score_tile(const float* queries, int64_t rows, int64_t dim, const float* panel, float* scores,
                int64_t scores_row_stride = kTile);

// A key met while searching: its raw score q·k, its position, and its slot:
// where the search met it among this query's candidates (the position itself
// for the exact index), which is how an index enumerates the candidates it
// scanned but left out of the head.
struct Candidate {
  float score = 0.0f;
  int32_t key = 0;
  int32_t slot = 0;
};

// Whether a belongs above b in a top-k: the higher score, and on a tie the
// lower key position. A total order, so the head is a function of the scores
// alone, whatever order the search offers them in and whatever thread runs it.
inline bool ranks_above(const Candidate& a, const Candidate& b) {
  return a.score > b.score || (a.score == b.score && a.key < b.key);
}

// The k best candidates (by ranks_above) of everything offered to one query
// row. Offers are appended to a buffer that is cut back to its best k by a
// linear-time selection whenever it reaches 2k entries, so memory stays O(k)
// and each admitted candidate costs O(1) amortised. After the first cut, the
// k-th best is a threshold that most offers fail, and a tile row whose
// largest score is below it is dismissed with one SIMD pass.
class StreamingTopK {
 public:
  explicit StreamingTopK(int64_t k);

  void clear();
  // Offers the keys keys[j] with raw scores scores[j] at slots first_slot + j,
  // for j < count <= kTile.
  void offer(const float* scores, int64_t count, const int32_t* keys, int64_t first_slot);
  // The best min(k, offered) candidates, in ascending slot order.
  std::span<const Candidate> best();

 private:
  void cut_to_best_k();

  int64_t k_;
  std::vector<Candidate> buffer_;
  bool has_threshold_ = false;
  Candidate threshold_;  // the k-th best at the last cut: nothing below it can enter the top k
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

// The smallest float >= value: a bound computed in double stays a bound in float.
float round_up_to_float(double value);

// ‖x‖ of a row of length dim, in double.
double norm(const float* x, int64_t dim);

}  // namespace knnformer::attention::key_search
