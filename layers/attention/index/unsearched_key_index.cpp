#include "layers/attention/index/unsearched_key_index.h"

#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/parallel.h"
#include "layers/attention/index/key_index_sampling.h"
#include "layers/attention/index/key_index_search.h"

namespace knnformer::attention {

namespace {

class UnsearchedKeyIndex final : public KeyIndex {
 public:
  UnsearchedKeyIndex(const Tensor& q, const Tensor& k, bool causal)
      : KeyIndex(q.size(0) * q.size(1), q.size(2), q.size(3), causal), own_keys_(time()),
        own_scores_(heads() * time()), tail_bounds_(heads() * time()) {
    std::iota(own_keys_.begin(), own_keys_.end(), 0);
    parallel_for(0, heads(), [&](int64_t head) { build_head(q.data(), k.data(), head); });
  }

  Neighbours neighbours(int64_t head, int64_t query) const override {
    const float& score = own_scores_[head * time() + query];
    return {.keys = {&own_keys_[query], 1}, .scores = {&score, 1}, .min_score = score};
  }

  int64_t tail_group_count(int64_t /*head*/, int64_t query) const override { return tail_size(query) > 0 ? 1 : 0; }

  TailGroup tail_group(int64_t head, int64_t query, int64_t group) const override {
    require_group(head, query, group);
    return {.bound = tail_bounds_[head * time() + query], .size = tail_size(query)};
  }

  // The tail is C_i without i, in position order.
  int32_t tail_member(int64_t head, int64_t query, int64_t group, int64_t rank) const override {
    require_group(head, query, group);
    return position_of(query, rank);
  }

  void sample_tail(int64_t /*head*/, int64_t query, int64_t count, CounterRng& rng,
                   int32_t* members) const override {
    key_search::require_sample_count(count, tail_size(query));
    key_search::sample_distinct_ranks(tail_size(query), count, rng, members);
    for (int64_t n = 0; n < count; ++n) members[n] = position_of(query, members[n]);
  }

  bool searches_head() const override { return false; }

  IndexStatistics statistics() const override {
    const double queries = double(heads() * time());
    return {.queries = queries,
            .keys_scored = queries,  // each query's own key
            .candidates = double(heads()) * key_search::total_candidates(time(), causal())};
  }

 private:
  int64_t tail_size(int64_t query) const { return candidates(query) - 1; }

  static int32_t position_of(int64_t query, int64_t rank) {
    return static_cast<int32_t>(rank < query ? rank : rank + 1);
  }

  void require_group(int64_t head, int64_t query, int64_t group) const {
    if (group < 0 || group >= tail_group_count(head, query))
      throw Error("unsearched KeyIndex: query " + std::to_string(query) + " of head " + std::to_string(head) +
                  " has no tail group " + std::to_string(group));
  }

  // Each query's own score and its tail's Cauchy–Schwarz bound, the largest
  // key norm taken over the query's candidates (a running maximum when causal).
  void build_head(const float* q, const float* k, int64_t head) {
    const float* queries = q + head * time() * dim();
    const float* keys = k + head * time() * dim();
    std::vector<double> largest_key_norm(time());
    double largest = 0.0;
    for (int64_t j = 0; j < time(); ++j)
      largest_key_norm[j] = largest = std::max(largest, key_search::norm(keys + j * dim(), dim()));
    for (int64_t i = 0; i < time(); ++i) {
      const float* query = queries + i * dim();
      const float* own_key = keys + i * dim();
      double dot = 0.0;
      for (int64_t c = 0; c < dim(); ++c) dot += double(query[c]) * own_key[c];
      const int64_t row = head * time() + i;
      own_scores_[row] = static_cast<float>(scale() * dot);
      const double query_norm = key_search::norm(query, dim());
      const double key_norm = causal() ? largest_key_norm[i] : largest;
      tail_bounds_[row] = key_search::round_up_to_float(
          scale() * query_norm * key_norm + key_search::score_rounding_slack(dim(), scale(), query_norm, key_norm));
    }
  }

  std::vector<int32_t> own_keys_;  // own_keys_[i] = i: every head's N_i points here
  std::vector<float> own_scores_, tail_bounds_;  // [heads, T]
};

}  // namespace

std::unique_ptr<KeyIndex> build_unsearched_key_index(const Tensor& q, const Tensor& k, bool causal) {
  return std::make_unique<UnsearchedKeyIndex>(q, k, causal);
}

}  // namespace knnformer::attention
