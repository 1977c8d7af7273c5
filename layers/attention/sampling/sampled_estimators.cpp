#include "layers/attention/sampling/sampled_estimators.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/kernels/sampling.h"
#include "core/large_buffer.h"
#include "core/parallel.h"

namespace knnformer::attention {

namespace {

// Row `position` of head `head` in a [heads, T, d] matrix.
template <class Float>
Float* row_of(Float* matrix, const AttentionShape& shape, int64_t head, int64_t position) {
  return matrix + (head * shape.time + position) * shape.dim;
}

// The median of values[0..count), reordering them; the middle two averaged for even count.
float median(float* values, int64_t count) {
  float* const middle = values + count / 2;
  std::nth_element(values, middle, values + count);
  if (count % 2 == 1) return *middle;
  const float below = *std::max_element(values, middle);
  return 0.5f * (below + *middle);
}

}  // namespace

// --- gumbel forward --------------------------------------------------------

void gumbel_output(const AttentionShape& shape, const int32_t* samples, int64_t samples_per_query, const float* v,
                   int64_t mom_groups, float* out) {
  require(samples_per_query >= 1 && mom_groups >= 1 && samples_per_query % mom_groups == 0,
          "gumbel attention: --samples (" + std::to_string(samples_per_query) +
              ") must be a positive multiple of --mom-groups (" + std::to_string(mom_groups) + ")");
  const int64_t dim = shape.dim, group_size = samples_per_query / mom_groups;
  const float weight = 1.0f / static_cast<float>(group_size);
#pragma omp parallel
  {
    std::vector<float> group_means(mom_groups * dim), coordinate(mom_groups);
#pragma omp for schedule(static)
    for (int64_t item = 0; item < shape.heads * shape.time; ++item) {
      const int64_t head = item / shape.time;
      const int32_t* keys = samples + item * samples_per_query;
      std::fill(group_means.begin(), group_means.end(), 0.0f);
      for (int64_t l = 0; l < samples_per_query; ++l) {
        if (l + 4 < samples_per_query) kernels::sampling::prefetch(row_of(v, shape, head, keys[l + 4]), dim);
        kernels::sampling::add_scaled(weight, row_of(v, shape, head, keys[l]), &group_means[l / group_size * dim], dim);
      }
      float* const o = out + item * dim;
      if (mom_groups == 1) {
        std::copy(group_means.begin(), group_means.end(), o);
        continue;
      }
      for (int64_t c = 0; c < dim; ++c) {
        for (int64_t g = 0; g < mom_groups; ++g) coordinate[g] = group_means[g * dim + c];
        o[c] = median(coordinate.data(), mom_groups);
      }
    }
  }
}

// --- knn-tail forward ------------------------------------------------------

void knn_tail_output(const KeyIndex& index, const float* q, const float* k, const float* v, int64_t tail_samples,
                     const SamplingKey& key, float* out) {
  require(tail_samples >= 0, "knn-tail attention: tail samples must be >= 0, got " + std::to_string(tail_samples));
  const AttentionShape shape{index.heads(), index.time(), index.dim()};
  const int64_t dim = shape.dim;
#pragma omp parallel
  {
    std::vector<double> numerator(dim);
    std::vector<int32_t> members;
#pragma omp for schedule(dynamic, 16)
    for (int64_t item = 0; item < shape.heads * shape.time; ++item) {
      const int64_t head = item / shape.time, query = item % shape.time;
      const Neighbours neighbours = index.neighbours(head, query);
      const float* const query_vector = q + item * dim;
      const double shift = *std::max_element(neighbours.scores.begin(), neighbours.scores.end());
      std::fill(numerator.begin(), numerator.end(), 0.0);
      double denominator = 0.0;
      const auto add = [&](int32_t key_position, double score, double weight) {
        const double w = weight * std::exp(score - shift);
        const float* const value = row_of(v, shape, head, key_position);
        kernels::sampling::add_scaled_to_double(w, value, numerator.data(), dim);
        denominator += w;
      };
      for (size_t j = 0; j < neighbours.keys.size(); ++j) add(neighbours.keys[j], neighbours.scores[j], 1.0);

      const int64_t tail = index.candidates(query) - static_cast<int64_t>(neighbours.keys.size());
      const int64_t drawn = std::min(tail_samples, tail);
      if (drawn > 0) {
        members.resize(drawn);
        CounterRng rng = query_rng(key, SampleStream::knn_tail, head, query);
        index.sample_tail(head, query, drawn, rng, members.data());
        const double weight = static_cast<double>(tail) / static_cast<double>(drawn);
        for (const int32_t member : members) {
          const float* const key_vector = row_of(k, shape, head, member);
          add(member, index.scale() * kernels::sampling::dot(query_vector, key_vector, dim), weight);
        }
      }
      float* const o = out + item * dim;
      for (int64_t c = 0; c < dim; ++c) o[c] = static_cast<float>(numerator[c] / denominator);
    }
  }
}

// --- sampled backward ------------------------------------------------------

namespace {

// One sample as its key receives it: the row it starts from and its weights
// in dK_j += key_weight·q_row and dV_j += value_weight·dO_row.
struct KeyEntry {
  int32_t row;
  float key_weight, value_weight;
};

// The samples of every head, sorted by key (stably, so each key's in row
// order): those of key j of head h are entries[key_begin[h·(T + 1) + j] ..
// key_begin[h·(T + 1) + j + 1]). Written once in their sorted places, so
// that the scatter reads them in sequence and fetches at random only the
// rows of Q and dO they name.
struct EntriesByKey {
  LargeVector<int64_t> key_begin;
  LargeVector<KeyEntry> entries;
};

// A counting sort per head of the entries [head_begin[h], head_begin[h + 1])
// (in row order): key_of(e) is entry e's key, entry_of(e) its KeyEntry.
template <class KeyOf, class EntryOf>
EntriesByKey sort_by_key(const AttentionShape& shape, const std::vector<int64_t>& head_begin, const KeyOf& key_of,
                         const EntryOf& entry_of) {
  const int64_t time = shape.time;
  EntriesByKey sorted{.key_begin = LargeVector<int64_t>(shape.heads * (time + 1)),
                      .entries = LargeVector<KeyEntry>(head_begin[shape.heads])};
  parallel_for(0, shape.heads, [&](int64_t h) {
    int64_t* const begin = sorted.key_begin.data() + h * (time + 1);
    const int64_t first = head_begin[h], last = head_begin[h + 1];
    std::fill(begin, begin + time + 1, 0);
    for (int64_t e = first; e < last; ++e) ++begin[key_of(e) + 1];
    begin[0] = first;
    for (int64_t j = 0; j < time; ++j) begin[j + 1] += begin[j];
    std::vector<int64_t> next(begin, begin + time);
    for (int64_t e = first; e < last; ++e) sorted.entries[next[key_of(e)]++] = entry_of(e);
  });
  return sorted;
}

// For one row: coefficients c_il = y_il − D_i (see the header) into
// `coefficients`, dq_i += (s/L) Σ_l c_il k_{j_il}; returns the D_i it used.
double estimate_row(const SampledBackward& b, int64_t item, float* coefficients, float* grad_q_row) {
  const AttentionShape& shape = b.shape;
  const int64_t dim = shape.dim, count = b.samples_per_query, head = item / shape.time;
  const float* const grad_out = b.grad_output + item * dim;
  const int32_t* const keys = b.samples + item * count;

  // Sampled rows are scattered over V and K: fetch them a few samples ahead.
  constexpr int64_t kAhead = 4;
  for (int64_t l = 0; l < std::min(kAhead, count); ++l)
    kernels::sampling::prefetch(row_of(b.v, shape, head, keys[l]), dim);
  double mean_y = 0.0;
  for (int64_t l = 0; l < count; ++l) {
    if (l + kAhead < count) kernels::sampling::prefetch(row_of(b.v, shape, head, keys[l + kAhead]), dim);
    kernels::sampling::prefetch(row_of(b.k, shape, head, keys[l]), dim);
    coefficients[l] = kernels::sampling::dot(grad_out, row_of(b.v, shape, head, keys[l]), dim);
    mean_y += coefficients[l];
  }
  mean_y /= static_cast<double>(count);
  const double d_i = b.output ? kernels::sampling::dot(grad_out, b.output + item * dim, dim) : mean_y;
  if (b.output) {
    for (int64_t l = 0; l < count; ++l) coefficients[l] = static_cast<float>(coefficients[l] - d_i);
  } else {
    // Leave-one-out: y_l − mean of the others = L/(L−1)·(y_l − ȳ).
    const double stretch = static_cast<double>(count) / static_cast<double>(count - 1);
    for (int64_t l = 0; l < count; ++l) coefficients[l] = static_cast<float>(stretch * (coefficients[l] - mean_y));
  }
  const float scale = 1.0f / std::sqrt(static_cast<float>(dim));
  const float weight = scale / static_cast<float>(count);
  for (int64_t l = 0; l < count; ++l)
    kernels::sampling::add_scaled(weight * coefficients[l], row_of(b.k, shape, head, keys[l]), grad_q_row, dim);
  return d_i;
}

// Uniform starts: every row's L samples, weighted 1/L.
EntriesByKey uniform_entries(const SampledBackward& b, const LargeVector<float>& coefficients) {
  const AttentionShape& shape = b.shape;
  const int64_t count = b.samples_per_query;
  const float scale = 1.0f / std::sqrt(static_cast<float>(shape.dim));
  std::vector<int64_t> head_begin(shape.heads + 1);
  for (int64_t h = 0; h <= shape.heads; ++h) head_begin[h] = h * shape.time * count;
  return sort_by_key(shape, head_begin, [&](int64_t e) { return b.samples[e]; }, [&](int64_t e) {
    return KeyEntry{.row = static_cast<int32_t>(e / count % shape.time),
                    .key_weight = scale * coefficients[e] / static_cast<float>(count),
                    .value_weight = 1.0f / static_cast<float>(count)};
  });
}

// Importance starts: row i starts n_i fresh samples, E[n_i] = λ_i ∝ ‖dO_i‖,
// each weighted 1/λ_i; D_i as given per row.
EntriesByKey importance_entries(const SampledBackward& b, const std::vector<double>& row_d,
                                SamplingStatistics* statistics) {
  require(b.index != nullptr, "sampled backward: importance starts need the key index to draw fresh samples");
  const AttentionShape& shape = b.shape;
  const int64_t queries = shape.heads * shape.time, dim = shape.dim;
  const float scale = 1.0f / std::sqrt(static_cast<float>(dim));

  std::vector<double> expected(queries);  // λ_i, first ‖dO_i‖
  parallel_for(0, queries, [&](int64_t item) {
    const float* const grad_out = b.grad_output + item * dim;
    expected[item] = std::sqrt(static_cast<double>(kernels::sampling::dot(grad_out, grad_out, dim)));
  });
  const double starts_per_head = static_cast<double>(shape.time * b.samples_per_query);
  for (int64_t h = 0; h < shape.heads; ++h) {
    double norm_total = 0.0;
    for (int64_t i = 0; i < shape.time; ++i) norm_total += expected[h * shape.time + i];
    for (int64_t i = 0; i < shape.time; ++i) {
      double& lambda = expected[h * shape.time + i];
      lambda = norm_total > 0.0 ? starts_per_head * lambda / norm_total : 0.0;
    }
  }
  // n_i = ⌊λ_i⌋ + Bernoulli(λ_i − ⌊λ_i⌋): E[n_i] = λ_i with the least spread.
  std::vector<int64_t> begin(queries + 1, 0);
  parallel_for(0, queries, [&](int64_t item) {
    const double lambda = expected[item], whole = std::floor(lambda);
    CounterRng rng = query_rng(b.key, SampleStream::importance_starts, item / shape.time, item % shape.time);
    begin[item + 1] = static_cast<int64_t>(whole) + (rng.uniform_double() < lambda - whole ? 1 : 0);
  });
  for (int64_t item = 0; item < queries; ++item) begin[item + 1] += begin[item];

  // The fresh samples in row order, then sorted by key.
  LargeVector<int32_t> keys(begin[queries]);
  LargeVector<KeyEntry> entries(begin[queries]);
  const SamplingStatistics work =
      for_each_query_by_blocks(*b.index, b.q, b.k, {}, [&](LazyGumbelSampler& sampler, int64_t head, int64_t query) {
        const int64_t item = head * shape.time + query;
        if (begin[item + 1] == begin[item]) return;
        const float* const grad_out = b.grad_output + item * dim;
        const float weight = static_cast<float>(1.0 / expected[item]);
        sampler.start_query(head, query, begin[item + 1] - begin[item]);
        CounterRng rng = query_rng(b.key, SampleStream::importance_samples, head, query);
        sampler.draw(rng, begin[item + 1] - begin[item], keys.data() + begin[item]);
        for (int64_t e = begin[item]; e < begin[item + 1]; ++e) {
          const double y = kernels::sampling::dot(grad_out, row_of(b.v, shape, head, keys[e]), dim);
          entries[e] = {.row = static_cast<int32_t>(query),
                        .key_weight = static_cast<float>(scale * (y - row_d[item])) * weight,
                        .value_weight = weight};
        }
      });
  if (statistics) *statistics += work;
  std::vector<int64_t> head_begin(shape.heads + 1);
  for (int64_t h = 0; h <= shape.heads; ++h) head_begin[h] = begin[h * shape.time];
  return sort_by_key(shape, head_begin, [&](int64_t e) { return keys[e]; }, [&](int64_t e) { return entries[e]; });
}

// dK_j += Σ key_weight·q_row and dV_j += Σ value_weight·dO_row over the
// entries of key j, in their (row) order whatever the thread count.
void scatter_to_keys(const SampledBackward& b, const EntriesByKey& sorted, float* grad_k, float* grad_v) {
  // A key's entries take well under a microsecond: handed out one key at a
  // time, the two threads fought over the schedule's counter (a backward of
  // 150–290 ms at T = 16384 against 105 ms in chunks of 64, bench_sampling).
  constexpr int64_t kKeysPerChunk = 64;
  // The rows of Q and dO that an entry names are scattered: fetched this many entries ahead.
  constexpr int64_t kAhead = 4;
  const AttentionShape& shape = b.shape;
  const int64_t time = shape.time, dim = shape.dim;
  const int64_t total = static_cast<int64_t>(sorted.entries.size());
  parallel_for_dynamic(0, shape.heads * time, [&](int64_t item) {
    const int64_t head = item / time, key = item % time;
    const int64_t* const begin = sorted.key_begin.data() + head * (time + 1);
    float* const grad_k_row = grad_k + item * dim;
    float* const grad_v_row = grad_v + item * dim;
    for (int64_t e = begin[key]; e < begin[key + 1]; ++e) {
      // Ahead into the next keys' entries too: they are the same head's, or
      // the next head's rows, which the prefetch fetches just as well.
      if (e + kAhead < total) {
        const int64_t ahead_head = e + kAhead < begin[time] ? head : std::min(head + 1, shape.heads - 1);
        const int32_t ahead = sorted.entries[e + kAhead].row;
        kernels::sampling::prefetch(row_of(b.q, shape, ahead_head, ahead), dim);
        kernels::sampling::prefetch(row_of(b.grad_output, shape, ahead_head, ahead), dim);
      }
      const KeyEntry& entry = sorted.entries[e];
      kernels::sampling::add_scaled(entry.key_weight, row_of(b.q, shape, head, entry.row), grad_k_row, dim);
      kernels::sampling::add_scaled(entry.value_weight, row_of(b.grad_output, shape, head, entry.row), grad_v_row, dim);
    }
  }, kKeysPerChunk);
}

}  // namespace

void sampled_attention_backward(const SampledBackward& b, float* grad_q, float* grad_k, float* grad_v,
                                SamplingStatistics* statistics) {
  const int64_t count = b.samples_per_query, queries = b.shape.heads * b.shape.time;
  require(count >= 1, "sampled backward: needs at least one sample per query");
  require(b.output != nullptr || count >= 2,
          "sampled backward: without the exact output, D_i is estimated leave-one-out and needs >= 2 samples per "
          "query, got " + std::to_string(count));
  LargeVector<float> coefficients(queries * count);
  std::vector<double> row_d(queries);
  parallel_for(0, queries, [&](int64_t item) {
    row_d[item] = estimate_row(b, item, coefficients.data() + item * count, grad_q + item * b.shape.dim);
  });
  const EntriesByKey sorted = b.start == SampledStart::uniform ? uniform_entries(b, coefficients)
                                                                : importance_entries(b, row_d, statistics);
  scatter_to_keys(b, sorted, grad_k, grad_v);
}

}  // namespace knnformer::attention
