#include "layers/attention/index/exact_key_index.h"

#include <algorithm>
#include <cassert>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/large_buffer.h"
#include "core/parallel.h"
#include "layers/attention/index/key_index_heads.h"
#include "layers/attention/index/key_index_sampling.h"
#include "layers/attention/index/key_index_search.h"

namespace knnformer::attention {

namespace {

using key_search::Candidate;
using key_search::HeadTable;
using key_search::KeyPanels;
using key_search::kTile;
using key_search::StreamingTopK;
using key_search::tiles_for;

class ExactKeyIndex final : public KeyIndex {
 public:
  ExactKeyIndex(const Tensor& q, const Tensor& k, bool causal, int64_t head_size, bool tight_tail)
      : KeyIndex(q.size(0) * q.size(1), q.size(2), q.size(3), causal), head_size_(head_size),
        heads_(heads(), time(), head_size, /*slots_are_keys=*/true, scale()),
        tail_bounds_(heads() * time()) {
    if (tight_tail) {
      near_ranks_ = make_large_array<int32_t>(heads() * time() * head_size);
      near_sizes_.assign(heads() * time(), 0);
      near_bounds_.resize(heads() * time());
    }
    search(q.data(), k.data());
  }

  Neighbours neighbours(int64_t head, int64_t query) const override { return heads_.neighbours(head, query); }

  int64_t tail_group_count(int64_t head, int64_t query) const override {
    return (near_size(head, query) > 0 ? 1 : 0) + (far_size(head, query) > 0 ? 1 : 0);
  }

  TailGroup tail_group(int64_t head, int64_t query, int64_t group) const override {
    const int64_t row = head * time() + query;
    if (is_near_group(head, query, group)) return {.bound = near_bounds_[row], .size = near_size(head, query)};
    return {.bound = tail_bounds_[row], .size = far_size(head, query)};
  }

  int32_t tail_member(int64_t head, int64_t query, int64_t group, int64_t rank) const override {
    // A rank among the keys outside the head, then a position: the near tier
    // stores its members' ranks, and the far rest is what they leave out.
    const std::span<const int32_t> near_ranks = near_ranks_of(head, query);
    const int64_t outside_rank =
        is_near_group(head, query, group) ? near_ranks[rank] : key_search::nth_slot_outside(near_ranks, rank);
    return static_cast<int32_t>(key_search::nth_slot_outside(heads_.slots(head, query), outside_rank));
  }

  void sample_tail(int64_t head, int64_t query, int64_t count, CounterRng& rng, int32_t* members) const override {
    const int64_t size = tail_size(head, query);
    key_search::require_sample_count(count, size);
    key_search::sample_distinct_ranks(size, count, rng, members);
    // The exact index scans C_i in position order, so the rank-th member of
    // the tail is the rank-th position outside the head.
    const std::span<const int32_t> head_positions = heads_.slots(head, query);
    for (int64_t n = 0; n < count; ++n)
      members[n] = static_cast<int32_t>(key_search::nth_slot_outside(head_positions, members[n]));
  }

  IndexStatistics statistics() const override {
    const double candidates = double(heads()) * key_search::total_candidates(time(), causal());
    return {.queries = double(heads() * time()), .keys_scored = candidates, .candidates = candidates};
  }

 private:
  int64_t tail_size(int64_t head, int64_t query) const { return candidates(query) - heads_.size(head, query); }
  int64_t near_size(int64_t head, int64_t query) const {
    return near_ranks_ ? near_sizes_[head * time() + query] : 0;
  }
  // The near tier's members as ranks among the keys outside the head, ascending.
  std::span<const int32_t> near_ranks_of(int64_t head, int64_t query) const {
    if (!near_ranks_) return {};
    const int64_t row = head * time() + query;
    return {near_ranks_.get() + row * head_size_, static_cast<size_t>(near_sizes_[row])};
  }
  int64_t far_size(int64_t head, int64_t query) const { return tail_size(head, query) - near_size(head, query); }

  // Group 0 is the near tier when there is one; the far tier comes after it.
  bool is_near_group(int64_t head, int64_t query, int64_t group) const {
    if (group < 0 || group >= tail_group_count(head, query))
      throw Error("exact KeyIndex: query " + std::to_string(query) + " of head " + std::to_string(head) +
                  " has no tail group " + std::to_string(group));
    return group == 0 && near_size(head, query) > 0;
  }

  struct Operands {
    const float* queries;
    KeyPanels key_panels;                   // Kᵀ of every head, tiles() panels per head
    std::vector<double> largest_key_norms;  // per head
  };

  // One thread's working set: a score tile, one top-k per query row (top 2k
  // with a near tier), and the split of a row's best into its two tiers.
  struct Scratch {
    explicit Scratch(int64_t kept) : scores(kTile * kTile), best(kTile, StreamingTopK(kept)) {}
    std::vector<float> scores;
    std::vector<StreamingTopK> best;
    std::vector<Candidate> ranked, head_tier;
  };

  int64_t tiles() const { return tiles_for(time()); }
  int64_t rows_in_tile(int64_t tile) const { return std::min(kTile, time() - tile * kTile); }

  Operands pack(const float* q, const float* k) const {
    Operands operands{.queries = q, .key_panels = KeyPanels(heads() * tiles(), dim()),
                      .largest_key_norms = std::vector<double>(heads())};
    parallel_for(0, heads() * tiles(), [&](int64_t panel) {
      const int64_t head = panel / tiles(), tile = panel % tiles();
      for (int64_t j = 0; j < rows_in_tile(tile); ++j)
        operands.key_panels.store(panel * kTile + j, k + (head * time() + tile * kTile + j) * dim());
    });
    parallel_for(0, heads(), [&](int64_t head) {
      double largest = 0.0;
      for (int64_t j = 0; j < time(); ++j)
        largest = std::max(largest, key_search::norm(k + (head * time() + j) * dim(), dim()));
      operands.largest_key_norms[head] = largest;
    });
    return operands;
  }

  void search(const float* q, const float* k) {
    const Operands operands = pack(q, k);
    // Work items are (query tile, head), the costliest causal tiles (the last) first.
    const int64_t items = tiles() * heads();
#pragma omp parallel
    {
      Scratch scratch(near_ranks_ ? 2 * head_size_ : head_size_);
#pragma omp for schedule(dynamic, 1)
      for (int64_t item = 0; item < items; ++item)
        search_query_tile(operands, item % heads(), tiles() - 1 - item / heads(), scratch);
    }
  }

  // The heads of one tile of queries: every key tile they see is scored and
  // offered to each row's top-k, masked to the row's candidates.
  void search_query_tile(const Operands& in, int64_t head, int64_t query_tile, Scratch& scratch) {
    const int64_t first_query = query_tile * kTile, rows = rows_in_tile(query_tile);
    const float* queries = in.queries + (head * time() + first_query) * dim();
    for (int64_t r = 0; r < rows; ++r) scratch.best[r].clear();

    const int64_t key_tiles = causal() ? query_tile + 1 : tiles();
    for (int64_t key_tile = 0; key_tile < key_tiles; ++key_tile) {
      const int64_t first_key = key_tile * kTile;
      key_search::score_tile(queries, rows, dim(), in.key_panels.panel(head * tiles() + key_tile),
                             scratch.scores.data());
      for (int64_t r = 0; r < rows; ++r) {
        const int64_t visible = std::min(kTile, candidates(first_query + r) - first_key);
        assert(visible >= 1);  // the diagonal tile holds key i for query i
        scratch.best[r].offer(scratch.scores.data() + r * kTile, visible, first_key);
      }
    }

    for (int64_t r = 0; r < rows; ++r) {
      const int64_t query = first_query + r, row = head * time() + query;
      const double query_norm = key_search::norm(queries + r * dim(), dim());
      const double slack = key_search::score_rounding_slack(dim(), scale(), query_norm, in.largest_key_norms[head]);
      const std::span<const Candidate> best = scratch.best[r].best();
      if (!near_ranks_ || static_cast<int64_t>(best.size()) <= head_size_) {
        heads_.store(head, query, best, [](int32_t position) { return position; });
        tail_bounds_[row] = key_search::round_up_to_float(double(heads_.neighbours(head, query).min_score) + slack);
        continue;
      }
      const auto [largest_near, smallest_near] = split_tiers(best, row, scratch);
      heads_.store(head, query, scratch.head_tier, [](int32_t position) { return position; });
      // The near tier is bounded by its own largest score, the far rest by its smallest.
      near_bounds_[row] = key_search::round_up_to_float(scale() * double(largest_near) + slack);
      tail_bounds_[row] = key_search::round_up_to_float(scale() * double(smallest_near) + slack);
    }
  }

  // The best k of `best` (in slot order) into scratch.head_tier, keeping the
  // order; the rest become the near tier of `row`, stored as their ranks among
  // the positions outside the head. Returns the near tier's largest and
  // smallest raw score.
  std::pair<float, float> split_tiers(std::span<const Candidate> best, int64_t row, Scratch& scratch) {
    scratch.ranked.assign(best.begin(), best.end());
    const auto kth = scratch.ranked.begin() + (head_size_ - 1);
    std::nth_element(scratch.ranked.begin(), kth, scratch.ranked.end(), std::greater<>());
    const Candidate threshold = *kth;
    scratch.head_tier.clear();
    int32_t* const near_ranks = near_ranks_.get() + row * head_size_;
    int32_t near_count = 0;
    float largest = -INFINITY, smallest = INFINITY;
    for (const Candidate candidate : best) {
      if (candidate >= threshold) {
        scratch.head_tier.push_back(candidate);
        continue;
      }
      // Its position less the head members before it (slots are positions, ascending).
      near_ranks[near_count++] = key_search::slot_of(candidate) - static_cast<int32_t>(scratch.head_tier.size());
      largest = std::max(largest, key_search::score_of(candidate));
      smallest = std::min(smallest, key_search::score_of(candidate));
    }
    near_sizes_[row] = near_count;
    return {largest, smallest};
  }

  int64_t head_size_;
  HeadTable heads_;
  // The near tier (tight_tail only): the next k candidates by score, as
  // ranks among the positions outside the head (k per query, ascending).
  LargeArray<int32_t> near_ranks_;
  std::vector<int32_t> near_sizes_;
  // Per (head, query), raised by the rounding slack: the far tail's bound (s_min
  // of the head, or of the near tier when there is one) and the near tier's.
  std::vector<float> tail_bounds_, near_bounds_;
};

}  // namespace

std::unique_ptr<KeyIndex> build_exact_key_index(const Tensor& q, const Tensor& k, bool causal, int64_t head_size,
                                                bool tight_tail) {
  return std::make_unique<ExactKeyIndex>(q, k, causal, head_size, tight_tail);
}

}  // namespace knnformer::attention
