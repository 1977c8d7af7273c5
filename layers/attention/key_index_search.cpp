#include "layers/attention/key_index_search.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>
#include <functional>

#include "layers/attention/tile_kernels.h"

#include "core/kernels/avx512_intrinsics.h"

namespace knnformer::attention::key_search {

namespace {

// Bit j set when scores[j] >= threshold, for j < count <= 64: the offers
// that reach the threshold, found 16 at a time with AVX-512 when the
// compiler targets it (usually none or few once a threshold exists).
uint64_t scores_reaching(const float* scores, int64_t count, float threshold) {
  uint64_t reaching = 0;
#if defined(__AVX512F__)
  const __m512 thresholds = _mm512_set1_ps(threshold);
  for (int64_t j = 0; j < count; j += 16) {
    const auto lanes = static_cast<__mmask16>(count - j >= 16 ? 0xFFFF : (1u << (count - j)) - 1);
    const __m512 values = _mm512_maskz_loadu_ps(lanes, scores + j);
    reaching |= uint64_t{_mm512_mask_cmp_ps_mask(lanes, values, thresholds, _CMP_GE_OQ)} << j;
  }
#else
  for (int64_t j = 0; j < count; ++j) reaching |= uint64_t{scores[j] >= threshold} << j;
#endif
  return reaching;
}

}  // namespace

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

StreamingTopK::StreamingTopK(int64_t k) : k_(k), buffer_(2 * k + kTile), selection_(2 * k + kTile) {}

void StreamingTopK::clear() {
  size_ = 0;
  threshold_ = 0;
  threshold_score_ = -INFINITY;
}

void StreamingTopK::offer(const float* scores, int64_t count, int64_t first_slot) {
  assert(count >= 1 && count <= kTile);
  // A score equal to the threshold's may still rank above it by its slot.
  for (uint64_t reaching = scores_reaching(scores, count, threshold_score_); reaching != 0;
       reaching &= reaching - 1) {
    const int j = std::countr_zero(reaching);
    const Candidate candidate = pack_candidate(scores[j], first_slot + j);
    buffer_[size_] = candidate;
    size_ += candidate > threshold_;
  }
  // Below 2k entries before an offer of at most kTile: the buffer never overflows.
  if (size_ >= 2 * k_) cut_to_best_k();
}

void StreamingTopK::cut_to_best_k() {
  const auto kth = selection_.begin() + (k_ - 1);
  std::copy_n(buffer_.begin(), size_, selection_.begin());
  std::nth_element(selection_.begin(), kth, selection_.begin() + size_, std::greater<>());
  threshold_ = *kth;
  threshold_score_ = score_of(threshold_);
  // Candidates are distinct (their slots are), so exactly k rank at or above the k-th.
  int64_t kept = 0;
  for (int64_t n = 0; n < size_; ++n) {
    buffer_[kept] = buffer_[n];
    kept += buffer_[n] >= threshold_;
  }
  size_ = kept;
}

std::span<const Candidate> StreamingTopK::best() {
  if (size_ > k_) cut_to_best_k();
  return {buffer_.data(), static_cast<size_t>(size_)};
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
