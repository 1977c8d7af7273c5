#include "layers/attention/index/key_index_search.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>
#include <functional>

#include "core/kernels/attention_tile.h"

namespace knnformer::attention::key_search {

namespace selection = kernels::selection;

void KeyPanels::store(int64_t slot, const float* key) {
  float* column = values_.data() + (slot / kTile) * dim_ * kTile + slot % kTile;
  for (int64_t c = 0; c < dim_; ++c) column[c * kTile] = key[c];
}

void score_tile(const float* queries, int64_t rows, int64_t dim, const float* panel, float* scores,
                int64_t scores_row_stride, int64_t columns) {
  assert(columns >= 1 && columns <= kTile);
  kernels::tiles::multiply_tile({.rows = rows, .inner = dim, .width = columns,
                                 .a = queries, .a_row_stride = dim, .a_inner_stride = 1,
                                 .b = panel, .b_row_stride = kTile,
                                 .c = scores, .c_row_stride = scores_row_stride, .accumulate = false});
}

// --- streaming top-k ------------------------------------------------------------------

StreamingTopK::StreamingTopK(int64_t k)
    : k_(k), scores_(2 * k + kTile + selection::kSelectionSlack), slots_(scores_.size()), workspace_(scores_.size()) {}

void StreamingTopK::clear() {
  size_ = 0;
  threshold_score_ = -INFINITY;
  threshold_slot_ = INT32_MAX;
}

void StreamingTopK::offer(const float* scores, int64_t count, int64_t first_slot) {
  assert(count >= 1 && count <= kTile);
  size_ += selection::keep_offers_above(scores, count, first_slot, threshold_score_, threshold_slot_,
                                        scores_.data() + size_, slots_.data() + size_);
  // Below 2k entries before an offer of at most kTile: the buffer never overflows.
  if (size_ >= 2 * k_) cut_to_best_k();
}

void StreamingTopK::cut_to_best_k() {
  const selection::Entry kth = selection::kth_best(scores_.data(), slots_.data(), size_, k_, workspace_);
  threshold_score_ = kth.score;
  threshold_slot_ = kth.slot;
  // Exactly k rank at or above the k-th best, that is above (its score, its slot + 1).
  size_ = selection::compact_above(scores_.data(), slots_.data(), size_, threshold_score_, threshold_slot_ + 1);
  assert(size_ == k_);
}

std::span<const Candidate> StreamingTopK::best() {
  if (size_ > k_) cut_to_best_k();
  best_.resize(size_);
  for (int64_t n = 0; n < size_; ++n) best_[n] = pack_candidate(scores_[n], slots_[n]);
  return best_;
}

// --- rounding --------------------------------------------------------------------------

double score_rounding_slack(int64_t dim, double scale, double query_norm, double largest_key_norm) {
  constexpr double kUnitRoundoff = 0x1.0p-24;
  return 4.0 * static_cast<double>(dim + 2) * kUnitRoundoff * scale * query_norm * largest_key_norm;
}

double norm(const float* x, int64_t dim) {
  double total = 0.0;
  for (int64_t c = 0; c < dim; ++c) total += static_cast<double>(x[c]) * x[c];
  return std::sqrt(total);
}

}  // namespace knnformer::attention::key_search
