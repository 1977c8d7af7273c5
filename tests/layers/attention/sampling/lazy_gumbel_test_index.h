#pragma once
// Test doubles and references for the lazy Gumbel sampler and the sampled
// estimators: a brute-force KeyIndex that sorts every query's scores, and
// attention with its exact gradient written out in double.
//
//   const Problem problem = random_problem({.heads = 2, .time = 24, .dim = 8}, seed);
//   const SortedKeyIndex index(problem, {.k = 4});
//   const ExactAttention exact = exact_attention(problem, causal);
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "core/rng.h"
#include "layers/attention/index/key_index.h"
#include "layers/attention/sampling/sampled_estimators.h"

namespace knnformer::testing {

using attention::AttentionShape;

// Queries, keys, values and an output gradient, [heads, T, d] each.
struct Problem {
  AttentionShape shape;
  bool causal = true;
  std::vector<float> q, k, v, grad_output;

  int64_t candidates(int64_t query) const { return causal ? query + 1 : shape.time; }
  double score(int64_t head, int64_t query, int64_t key) const {
    const float* a = &q[(head * shape.time + query) * shape.dim];
    const float* b = &k[(head * shape.time + key) * shape.dim];
    double dot = 0.0;
    for (int64_t c = 0; c < shape.dim; ++c) dot += double(a[c]) * b[c];
    return dot / std::sqrt(double(shape.dim));
  }
};

// Entries N(0, 1), queries N(0, query_scale²) (larger: more peaked attention).
inline Problem random_problem(const AttentionShape& shape, uint64_t seed, bool causal = true,
                              float query_scale = 1.0f) {
  Problem p{shape, causal, {}, {}, {}, {}};
  const int64_t n = shape.heads * shape.time * shape.dim;
  for (auto* m : {&p.q, &p.k, &p.v, &p.grad_output}) m->resize(n);
  CounterRng rng(seed, {0x5A11});
  rng.fill_normal(p.q.data(), n, 0.0f, query_scale);
  rng.fill_normal(p.k.data(), n, 0.0f, 1.0f);
  rng.fill_normal(p.v.data(), n, 0.0f, 1.0f);
  rng.fill_normal(p.grad_output.data(), n, 0.0f, 1.0f);
  return p;
}

// The exact softmax row A_i of one query, in double.
inline std::vector<double> softmax_row(const Problem& p, int64_t head, int64_t query) {
  std::vector<double> row(p.candidates(query));
  for (size_t j = 0; j < row.size(); ++j) row[j] = p.score(head, query, j);
  const double largest = *std::max_element(row.begin(), row.end());
  double total = 0.0;
  for (double& a : row) total += (a = std::exp(a - largest));
  for (double& a : row) a /= total;
  return row;
}

// Exact attention and its gradient for the problem's dO (docs/design.md §5.1), in double.
struct ExactAttention {
  std::vector<double> out, grad_q, grad_k, grad_v;
};

inline ExactAttention exact_attention(const Problem& p) {
  const auto [heads, time, dim] = p.shape;
  const double scale = 1.0 / std::sqrt(double(dim));
  const size_t n = p.q.size();
  ExactAttention e{std::vector<double>(n), std::vector<double>(n), std::vector<double>(n), std::vector<double>(n)};
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t i = 0; i < time; ++i) {
      const std::vector<double> a = softmax_row(p, h, i);
      const int64_t row = (h * time + i) * dim;
      for (size_t j = 0; j < a.size(); ++j)
        for (int64_t c = 0; c < dim; ++c) e.out[row + c] += a[j] * p.v[(h * time + j) * dim + c];
      double d_i = 0.0;
      for (int64_t c = 0; c < dim; ++c) d_i += p.grad_output[row + c] * e.out[row + c];
      for (size_t j = 0; j < a.size(); ++j) {
        const int64_t key_row = (h * time + j) * dim;
        double y = 0.0;
        for (int64_t c = 0; c < dim; ++c) y += double(p.grad_output[row + c]) * p.v[key_row + c];
        const double score_grad = a[j] * (y - d_i);
        for (int64_t c = 0; c < dim; ++c) {
          e.grad_q[row + c] += scale * score_grad * p.k[key_row + c];
          e.grad_k[key_row + c] += scale * score_grad * p.q[row + c];
          e.grad_v[key_row + c] += a[j] * p.grad_output[row + c];
        }
      }
    }
  return e;
}

struct SortedIndexOptions {
  int64_t k = 8;
  // The tail is dealt round-robin (by score rank) into this many groups. One
  // group has the exact index's bound s_min; several have each their largest
  // score as bound, like the clustered index's unscanned clusters.
  int64_t tail_groups = 1;
  float bound_slack = 0.0f;  // added to every bound: looser, still true, more tail work
};

// A KeyIndex by brute force: every query's candidates sorted by score.
class SortedKeyIndex final : public attention::KeyIndex {
 public:
  SortedKeyIndex(const Problem& p, const SortedIndexOptions& options)
      : KeyIndex(p.shape.heads, p.shape.time, p.shape.dim, p.causal), options_(options) {
    queries_.resize(p.shape.heads * p.shape.time);
    for (int64_t h = 0; h < p.shape.heads; ++h)
      for (int64_t i = 0; i < p.shape.time; ++i) queries_[h * p.shape.time + i] = sort_query(p, h, i);
  }

  attention::Neighbours neighbours(int64_t head, int64_t query) const override {
    const Query& q = at(head, query);
    return {q.head_keys, q.head_scores, q.head_scores.back()};
  }
  int64_t tail_group_count(int64_t head, int64_t query) const override {
    return static_cast<int64_t>(at(head, query).groups.size());
  }
  attention::TailGroup tail_group(int64_t head, int64_t query, int64_t group) const override {
    const Group& g = at(head, query).groups[group];
    return {g.bound, static_cast<int64_t>(g.members.size()), g.members.data()};
  }
  int32_t tail_member(int64_t head, int64_t query, int64_t group, int64_t rank) const override {
    return at(head, query).groups[group].members[rank];
  }
  void sample_tail(int64_t head, int64_t query, int64_t count, CounterRng& rng, int32_t* members) const override {
    choose(at(head, query).tail, count, rng, members);
  }
  attention::IndexStatistics statistics() const override { return {}; }

 private:
  struct Group {
    float bound;
    std::vector<int32_t> members;
  };
  struct Query {
    std::vector<int32_t> head_keys, tail;
    std::vector<float> head_scores;
    std::vector<Group> groups;
  };

  Query sort_query(const Problem& p, int64_t h, int64_t i) const {
    std::vector<int32_t> order(p.candidates(i));
    std::iota(order.begin(), order.end(), 0);
    std::vector<float> scores(order.size());
    for (size_t j = 0; j < order.size(); ++j) scores[j] = static_cast<float>(p.score(h, i, j));
    std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return scores[a] > scores[b]; });
    const size_t head = std::min<size_t>(options_.k, order.size());
    Query q;
    q.head_keys.assign(order.begin(), order.begin() + head);
    for (const int32_t key : q.head_keys) q.head_scores.push_back(scores[key]);
    q.tail.assign(order.begin() + head, order.end());
    if (q.tail.empty()) return q;
    const size_t group_count = std::min<size_t>(options_.tail_groups, q.tail.size());
    q.groups.resize(group_count, Group{-HUGE_VALF, {}});
    for (size_t r = 0; r < q.tail.size(); ++r) {
      Group& g = q.groups[r % group_count];
      g.members.push_back(q.tail[r]);
      g.bound = std::max(g.bound, scores[q.tail[r]]);
    }
    for (Group& g : q.groups) g.bound = (group_count == 1 ? q.head_scores.back() : g.bound) + options_.bound_slack;
    return q;
  }

  // count distinct members, uniformly: a partial Fisher–Yates shuffle.
  static void choose(std::vector<int32_t> pool, int64_t count, CounterRng& rng, int32_t* members) {
    for (int64_t m = 0; m < count; ++m) {
      std::swap(pool[m], pool[m + rng.below(pool.size() - m)]);
      members[m] = pool[m];
    }
  }

  const Query& at(int64_t head, int64_t query) const { return queries_[head * time() + query]; }

  SortedIndexOptions options_;
  std::vector<Query> queries_;
};

}  // namespace knnformer::testing
