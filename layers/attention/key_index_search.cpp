#include "layers/attention/key_index_search.h"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "layers/attention/tile_kernels.h"

namespace knnformer::attention::key_search {

void KeyPanels::store(int64_t slot, const float* key) {
  float* column = values_.data() + (slot / kTile) * dim_ * kTile + slot % kTile;
  for (int64_t c = 0; c < dim_; ++c) column[c * kTile] = key[c];
}

void score_tile(const float* queries, int64_t rows, int64_t dim, const float* panel, float* scores,
                int64_t scores_row_stride) {
  tiles::multiply_tile({.rows = rows, .inner = dim, .width = kTile,
                        .a = queries, .a_row_stride = dim, .a_inner_stride = 1,
                        .b = panel, .b_row_stride = kTile,
                        .c = scores, .c_row_stride = scores_row_stride, .accumulate = false});
}

// --- streaming top-k ------------------------------------------------------------------

StreamingTopK::StreamingTopK(int64_t k) : k_(k) { buffer_.reserve(2 * k + kTile); }

void StreamingTopK::clear() {
  buffer_.clear();
  has_threshold_ = false;
}

void StreamingTopK::offer(const float* scores, int64_t count, const int32_t* keys, int64_t first_slot) {
  assert(count >= 1 && count <= kTile);
  if (has_threshold_ && tiles::max_row(scores, count) < threshold_.score) return;
  for (int64_t j = 0; j < count; ++j) {
    const Candidate candidate{scores[j], keys[j], static_cast<int32_t>(first_slot + j)};
    if (!has_threshold_ || ranks_above(candidate, threshold_)) buffer_.push_back(candidate);
  }
  // The buffer holds < 2k entries before an offer of <= kTile, so it never
  // outgrows the capacity reserved and never reallocates.
  if (static_cast<int64_t>(buffer_.size()) >= 2 * k_) cut_to_best_k();
}

void StreamingTopK::cut_to_best_k() {
  const auto kth = buffer_.begin() + (k_ - 1);
  std::nth_element(buffer_.begin(), kth, buffer_.end(), ranks_above);
  threshold_ = *kth;
  has_threshold_ = true;
  buffer_.resize(k_);
}

std::span<const Candidate> StreamingTopK::best() {
  if (static_cast<int64_t>(buffer_.size()) > k_) cut_to_best_k();
  std::sort(buffer_.begin(), buffer_.end(), [](const Candidate& a, const Candidate& b) { return a.slot < b.slot; });
  return buffer_;
}

// --- rounding --------------------------------------------------------------------------

double score_rounding_slack(int64_t dim, double scale, double query_norm, double largest_key_norm) {
  constexpr double kUnitRoundoff = 0x1.0p-24;
  return 4.0 * static_cast<double>(dim + 2) * kUnitRoundoff * scale * query_norm * largest_key_norm;
}

float round_up_to_float(double value) {
  const auto rounded = static_cast<float>(value);
  return static_cast<double>(rounded) >= value ? rounded : std::nextafter(rounded, INFINITY);
}

double norm(const float* x, int64_t dim) {
  double total = 0.0;
  for (int64_t c = 0; c < dim; ++c) total += static_cast<double>(x[c]) * x[c];
  return std::sqrt(total);
}

}  // namespace knnformer::attention::key_search
