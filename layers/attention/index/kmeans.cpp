#include "layers/attention/index/kmeans.h"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "core/large_buffer.h"
#include "layers/attention/index/key_index_sampling.h"
#include "layers/attention/index/key_index_search.h"

namespace knnformer::attention {

namespace {

using key_search::KeyPanels;
using key_search::kTile;
using key_search::tiles_for;

// The first centroids: distinct points drawn uniformly, in the order of their positions.
std::vector<float> initial_centroids(const float* points, int64_t count, int64_t dim, int64_t clusters,
                                     CounterRng& rng) {
  std::vector<int32_t> chosen(clusters);
  key_search::sample_distinct_ranks(count, clusters, rng, chosen.data());
  std::sort(chosen.begin(), chosen.end());
  std::vector<float> centroids(clusters * dim);
  for (int64_t c = 0; c < clusters; ++c)
    std::copy_n(points + chosen[c] * dim, dim, centroids.begin() + c * dim);
  return centroids;
}

// Moves each centroid to the mean of its points (summed in double, in point
// order); a centroid without points stays where it is.
void move_to_means(const float* points, int64_t count, int64_t dim, const std::vector<int32_t>& assignment,
                   std::vector<float>& centroids) {
  const auto clusters = static_cast<int64_t>(centroids.size()) / dim;
  std::vector<double> sums(clusters * dim, 0.0);
  std::vector<int64_t> sizes(clusters, 0);
  for (int64_t j = 0; j < count; ++j) {
    const int64_t c = assignment[j];
    ++sizes[c];
    for (int64_t e = 0; e < dim; ++e) sums[c * dim + e] += points[j * dim + e];
  }
  for (int64_t c = 0; c < clusters; ++c)
    if (sizes[c] > 0)
      for (int64_t e = 0; e < dim; ++e) centroids[c * dim + e] = static_cast<float>(sums[c * dim + e] / sizes[c]);
}

}  // namespace

std::vector<int32_t> nearest_centroids(const float* points, int64_t count, int64_t dim,
                                       const std::vector<float>& centroids) {
  const auto clusters = static_cast<int64_t>(centroids.size()) / dim;
  KeyPanels panels(tiles_for(clusters), dim);
  std::vector<float> half_norms(clusters);  // ½‖μ_c‖²
  for (int64_t c = 0; c < clusters; ++c) {
    panels.store(c, centroids.data() + c * dim);
    double total = 0.0;
    for (int64_t e = 0; e < dim; ++e) total += double(centroids[c * dim + e]) * centroids[c * dim + e];
    half_norms[c] = static_cast<float>(0.5 * total);
  }

  std::vector<int32_t> assignment(count);
  const int64_t point_tiles = tiles_for(count);
#pragma omp parallel
  {
    std::vector<float> scores(kTile * kTile);
    std::vector<float> best_values(kTile);
#pragma omp for schedule(dynamic, 4)
    for (int64_t tile = 0; tile < point_tiles; ++tile) {
      const int64_t first = tile * kTile, rows = std::min(kTile, count - first);
      std::fill(best_values.begin(), best_values.end(), -INFINITY);
      for (int64_t panel = 0; panel < tiles_for(clusters); ++panel) {
        const int64_t first_cluster = panel * kTile, columns = std::min(kTile, clusters - first_cluster);
        key_search::score_tile(points + first * dim, rows, dim, panels.panel(panel), scores.data(), kTile, columns);
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t j = 0; j < columns; ++j) {
            // Strictly larger: a tie keeps the lower centroid index, met first.
            const float value = scores[r * kTile + j] - half_norms[first_cluster + j];
            if (value > best_values[r]) {
              best_values[r] = value;
              assignment[first + r] = static_cast<int32_t>(first_cluster + j);
            }
          }
      }
    }
  }
  return assignment;
}

KMeans kmeans(const float* points, int64_t count, int64_t dim, int64_t clusters, int iterations, CounterRng& rng,
              int64_t max_points_per_centroid) {
  assert(clusters >= 1 && clusters <= count && iterations >= 1);
  const int64_t training_count =
      max_points_per_centroid > 0 ? std::min(count, max_points_per_centroid * clusters) : count;
  if (training_count == count) {
    KMeans result{.centroids = initial_centroids(points, count, dim, clusters, rng), .assignment = {}};
    for (int iteration = 0; iteration < iterations; ++iteration) {
      result.assignment = nearest_centroids(points, count, dim, result.centroids);
      move_to_means(points, count, dim, result.assignment, result.centroids);
    }
    return result;
  }
  // Train on a uniform sample, then one step over all the points.
  std::vector<int32_t> chosen(training_count);
  key_search::sample_distinct_ranks(count, training_count, rng, chosen.data());
  std::sort(chosen.begin(), chosen.end());
  LargeVector<float> training(training_count * dim);
  for (int64_t n = 0; n < training_count; ++n) std::copy_n(points + chosen[n] * dim, dim, training.begin() + n * dim);
  KMeans result = kmeans(training.data(), training_count, dim, clusters, iterations, rng, 0);
  result.assignment = nearest_centroids(points, count, dim, result.centroids);
  move_to_means(points, count, dim, result.assignment, result.centroids);
  return result;
}

}  // namespace knnformer::attention
