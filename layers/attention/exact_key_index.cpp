#include "layers/attention/exact_key_index.h"

#include <algorithm>
#include <cassert>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/parallel.h"
#include "layers/attention/key_index_heads.h"
#include "layers/attention/key_index_sampling.h"
#include "layers/attention/key_index_search.h"

namespace knnformer::attention {

namespace {

using key_search::HeadTable;
using key_search::KeyPanels;
using key_search::kTile;
using key_search::StreamingTopK;
using key_search::tiles_for;

class ExactKeyIndex final : public KeyIndex {
 public:
  ExactKeyIndex(const Tensor& q, const Tensor& k, bool causal, int64_t head_size)
      : KeyIndex(q.size(0) * q.size(1), q.size(2), q.size(3), causal), head_size_(head_size),
        heads_(heads(), time(), head_size, /*slots_are_keys=*/true, scale()),
        tail_bounds_(heads() * time()) {
    search(q.data(), k.data());
  }

  Neighbours neighbours(int64_t head, int64_t query) const override { return heads_.neighbours(head, query); }

  int64_t tail_group_count(int64_t head, int64_t query) const override {
    return tail_size(head, query) > 0 ? 1 : 0;
  }

  TailGroup tail_group(int64_t head, int64_t query, int64_t group) const override {
    require_group(head, query, group);
    return {.bound = tail_bounds_[head * time() + query], .size = tail_size(head, query)};
  }

  void sample_tail_group(int64_t head, int64_t query, int64_t group, int64_t count, CounterRng& rng,
                         int32_t* members) const override {
    require_group(head, query, group);
    sample_tail(head, query, count, rng, members);
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

  void require_group(int64_t head, int64_t query, int64_t group) const {
    if (group != 0 || tail_size(head, query) == 0)
      throw Error("exact KeyIndex: query " + std::to_string(query) + " of head " + std::to_string(head) +
                  " has no tail group " + std::to_string(group));
  }

  struct Operands {
    const float* queries;
    KeyPanels key_panels;                   // Kᵀ of every head, tiles() panels per head
    std::vector<double> largest_key_norms;  // per head
  };

  // One thread's working set: a score tile and one top-k per query row.
  struct Scratch {
    explicit Scratch(int64_t head_size) : scores(kTile * kTile), best(kTile, StreamingTopK(head_size)) {}
    std::vector<float> scores;
    std::vector<StreamingTopK> best;
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
      Scratch scratch(head_size_);
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
      const int64_t query = first_query + r;
      heads_.store(head, query, scratch.best[r].best(), [](int32_t position) { return position; });
      const double query_norm = key_search::norm(queries + r * dim(), dim());
      const double slack = key_search::score_rounding_slack(dim(), scale(), query_norm, in.largest_key_norms[head]);
      tail_bounds_[head * time() + query] =
          key_search::round_up_to_float(double(heads_.neighbours(head, query).min_score) + slack);
    }
  }

  int64_t head_size_;
  HeadTable heads_;
  std::vector<float> tail_bounds_;  // per (head, query): s_min raised by the rounding slack
};

}  // namespace

std::unique_ptr<KeyIndex> build_exact_key_index(const Tensor& q, const Tensor& k, bool causal, int64_t head_size) {
  return std::make_unique<ExactKeyIndex>(q, k, causal, head_size);
}

}  // namespace knnformer::attention
