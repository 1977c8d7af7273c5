#include "layers/attention/sampling/knn_attention.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/kernels/sampling.h"
#include "core/parallel.h"

namespace knnformer::attention {

namespace {

// How many entries ahead a loop over scattered rows asks the cache for the
// rows it will read.
constexpr int64_t kAhead = 4;

// One query's softmax over its head; returns the log-sum-exp.
float attend_row(const Neighbours& head, const float* values, int64_t dim, float* out) {
  const float max_score = *std::max_element(head.scores.begin(), head.scores.end());
  float sum = 0.0f;
  std::fill(out, out + dim, 0.0f);
  for (size_t n = 0; n < head.keys.size(); ++n) {
    if (n + kAhead < head.keys.size()) kernels::sampling::prefetch(values + head.keys[n + kAhead] * dim, dim);
    const float weight = std::exp(head.scores[n] - max_score);
    sum += weight;
    kernels::sampling::add_scaled(weight, values + head.keys[n] * dim, out, dim);
  }
  for (int64_t c = 0; c < dim; ++c) out[c] /= sum;
  return max_score + std::log(sum);
}

// The contributions dS_ij of every query to key j, grouped by key so that
// each key sums its own in a fixed (query) order: a counting-sort transpose
// of the heads' (query → keys) lists.
struct ContributionsByKey {
  std::vector<int64_t> begin;    // [T + 1]: key j's entries are [begin[j], begin[j+1])
  std::vector<int32_t> query;    // the query of each entry
  std::vector<float> score_grad; // its dS_ij
  std::vector<float> weight;     // its a_ij
};

}  // namespace

void knn_forward(const KeyIndex& index, const float* v, float* out, float* log_sum_exp) {
  const int64_t time = index.time(), dim = index.dim();
  parallel_for(0, index.heads() * time, [&](int64_t row) {
    const int64_t head = row / time, query = row % time;
    log_sum_exp[row] =
        attend_row(index.neighbours(head, query), v + head * time * dim, dim, out + row * dim);
  });
}

void knn_backward(const KeyIndex& index, const float* q, const float* k, const float* v, const float* out,
                  const float* log_sum_exp, const float* out_grad, float* query_grad, float* key_grad,
                  float* value_grad) {
  const int64_t time = index.time(), dim = index.dim();
  const float scale = index.scale();
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t head = 0; head < index.heads(); ++head) {
    const int64_t offset = head * time * dim;
    ContributionsByKey by_key;
    by_key.begin.assign(time + 1, 0);
    for (int64_t query = 0; query < time; ++query)
      for (const int32_t key : index.neighbours(head, query).keys) ++by_key.begin[key + 1];
    for (int64_t key = 0; key < time; ++key) by_key.begin[key + 1] += by_key.begin[key];
    by_key.query.resize(by_key.begin[time]);
    by_key.score_grad.resize(by_key.begin[time]);
    by_key.weight.resize(by_key.begin[time]);
    std::vector<int64_t> next(by_key.begin.begin(), by_key.begin.end() - 1);

    // Per query: dS over its head, and dQ_i = s Σ_j dS_ij k_j.
    for (int64_t query = 0; query < time; ++query) {
      const Neighbours head_set = index.neighbours(head, query);
      const float* d_out = out_grad + offset + query * dim;
      const float out_dot = kernels::sampling::dot(d_out, out + offset + query * dim, dim);
      const float lse = log_sum_exp[head * time + query];
      float* d_query = query_grad + offset + query * dim;
      for (size_t n = 0; n < head_set.keys.size(); ++n) {
        if (n + kAhead < head_set.keys.size()) {  // neighbours' rows are scattered over V and K
          kernels::sampling::prefetch(v + offset + head_set.keys[n + kAhead] * dim, dim);
          kernels::sampling::prefetch(k + offset + head_set.keys[n + kAhead] * dim, dim);
        }
        const int32_t key = head_set.keys[n];
        const float weight = std::exp(head_set.scores[n] - lse);
        const float score_grad = weight * (kernels::sampling::dot(d_out, v + offset + key * dim, dim) - out_dot);
        kernels::sampling::add_scaled(scale * score_grad, k + offset + key * dim, d_query, dim);
        const int64_t slot = next[key]++;
        by_key.query[slot] = static_cast<int32_t>(query);
        by_key.score_grad[slot] = score_grad;
        by_key.weight[slot] = weight;
      }
    }
    // Per key: dV_j = Σ_i a_ij dO_i and dK_j = s Σ_i dS_ij q_i, in query order.
    for (int64_t key = 0; key < time; ++key) {
      float* d_key = key_grad + offset + key * dim;
      float* d_value = value_grad + offset + key * dim;
      for (int64_t slot = by_key.begin[key]; slot < by_key.begin[key + 1]; ++slot) {
        if (slot + kAhead < by_key.begin[key + 1]) {  // the querying rows are scattered over dO and Q
          kernels::sampling::prefetch(out_grad + offset + by_key.query[slot + kAhead] * dim, dim);
          kernels::sampling::prefetch(q + offset + by_key.query[slot + kAhead] * dim, dim);
        }
        const int64_t query = by_key.query[slot];
        kernels::sampling::add_scaled(by_key.weight[slot], out_grad + offset + query * dim, d_value, dim);
        kernels::sampling::add_scaled(scale * by_key.score_grad[slot], q + offset + query * dim, d_key, dim);
      }
    }
  }
}

}  // namespace knnformer::attention
