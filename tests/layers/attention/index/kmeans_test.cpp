// Tests of the k-means behind the clustered key index: the assignment step
// against brute force, Lloyd's invariants (centroids are their points' means,
// the objective never rises), and determinism across thread counts.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "core/parallel.h"
#include "core/rng.h"
#include "layers/attention/index/kmeans.h"

using namespace knnformer;
using attention::kmeans;
using attention::KMeans;
using attention::nearest_centroids;

namespace {

std::vector<float> gaussian_points(int64_t count, int64_t dim, uint64_t seed) {
  std::vector<float> points(count * dim);
  CounterRng(seed, {0x9A}).fill_normal(points.data(), count * dim, 0.0f, 1.0f);
  return points;
}

double squared_distance(const float* x, const float* y, int64_t dim) {
  double total = 0.0;
  for (int64_t e = 0; e < dim; ++e) total += (double(x[e]) - y[e]) * (double(x[e]) - y[e]);
  return total;
}

// Σ_j ‖x_j − μ_a(j)‖², the objective Lloyd's algorithm lowers.
double objective(const std::vector<float>& points, int64_t dim, const KMeans& clusters) {
  double total = 0.0;
  for (size_t j = 0; j < clusters.assignment.size(); ++j)
    total += squared_distance(points.data() + j * dim, clusters.centroids.data() + clusters.assignment[j] * dim, dim);
  return total;
}

}  // namespace

TEST_CASE("kmeans: the assignment step picks each point's nearest centroid") {
  // 150 points (no multiple of the 64-point tile) against 70 centroids (two
  // panels, the second partial).
  const int64_t count = 150, clusters = 70, dim = 24;
  const std::vector<float> points = gaussian_points(count, dim, 1), centroids = gaussian_points(clusters, dim, 2);
  const std::vector<int32_t> assignment = nearest_centroids(points.data(), count, dim, centroids);
  int wrong = 0;
  for (int64_t j = 0; j < count; ++j) {
    const double chosen = squared_distance(points.data() + j * dim, centroids.data() + assignment[j] * dim, dim);
    for (int64_t c = 0; c < clusters; ++c)
      // Up to fp32 rounding of x·μ − ½‖μ‖², no centroid is nearer.
      wrong += squared_distance(points.data() + j * dim, centroids.data() + c * dim, dim) < chosen - 1e-4;
  }
  CHECK(wrong == 0);
}

TEST_CASE("kmeans: centroids are their points' means and the objective never rises") {
  const int64_t count = 500, clusters = 12, dim = 8;
  const std::vector<float> points = gaussian_points(count, dim, 3);
  double previous = INFINITY;
  for (const int iterations : {1, 2, 3, 5, 8}) {
    CounterRng rng(4, {0});  // the same start every time: iterations extend one run
    const KMeans result = kmeans(points.data(), count, dim, clusters, iterations, rng);
    const double current = objective(points, dim, result);
    CHECK(current <= previous * (1 + 1e-6));
    previous = current;

    std::vector<double> sums(clusters * dim, 0.0);
    std::vector<int64_t> sizes(clusters, 0);
    for (int64_t j = 0; j < count; ++j) {
      ++sizes[result.assignment[j]];
      for (int64_t e = 0; e < dim; ++e) sums[result.assignment[j] * dim + e] += points[j * dim + e];
    }
    for (int64_t c = 0; c < clusters; ++c)
      if (sizes[c] > 0)
        for (int64_t e = 0; e < dim; ++e)
          CHECK(result.centroids[c * dim + e] == doctest::Approx(sums[c * dim + e] / sizes[c]).epsilon(1e-5));
  }
}

TEST_CASE("kmeans: trained on a sample, it still assigns every point and ends on means") {
  // 2000 points, 10 clusters, 20 training points per cluster: Lloyd runs on
  // 200 of them, then one step covers all 2000. Its objective stays close to
  // that of Lloyd on all points.
  const int64_t count = 2000, clusters = 10, dim = 8;
  const std::vector<float> points = gaussian_points(count, dim, 11);
  CounterRng rng(12, {0});
  const KMeans result = kmeans(points.data(), count, dim, clusters, 3, rng, /*max_points_per_centroid=*/20);
  REQUIRE(static_cast<int64_t>(result.assignment.size()) == count);
  std::vector<double> sums(clusters * dim, 0.0);
  std::vector<int64_t> sizes(clusters, 0);
  for (int64_t j = 0; j < count; ++j) {
    ++sizes[result.assignment[j]];
    for (int64_t e = 0; e < dim; ++e) sums[result.assignment[j] * dim + e] += points[j * dim + e];
  }
  CounterRng full_rng(12, {0});
  const KMeans full = kmeans(points.data(), count, dim, clusters, 3, full_rng);
  CHECK(objective(points, dim, result) <= 1.1 * objective(points, dim, full));
  for (int64_t c = 0; c < clusters; ++c) {
    REQUIRE(sizes[c] > 0);
    for (int64_t e = 0; e < dim; ++e)
      CHECK(result.centroids[c * dim + e] == doctest::Approx(sums[c * dim + e] / sizes[c]).epsilon(1e-5));
  }
}

TEST_CASE("kmeans: as many clusters as points puts every point alone") {
  const int64_t count = 40, dim = 4;
  const std::vector<float> points = gaussian_points(count, dim, 5);
  CounterRng rng(6, {0});
  const KMeans result = kmeans(points.data(), count, dim, count, 2, rng);
  CHECK(objective(points, dim, result) == doctest::Approx(0.0));
}

TEST_CASE("kmeans: separated blobs are recovered") {
  // Four tight blobs far apart, 24 clusters: once every blob holds a
  // starting centroid (all but certain: a blob misses all 24 with
  // probability (3/4)^24 ≈ 1e-3), each blob's points are nearer to its own
  // centroids than to any other blob's, so no cluster ever mixes blobs.
  const int64_t per_blob = 60, blobs = 4, dim = 6, count = per_blob * blobs;
  std::vector<float> points = gaussian_points(count, dim, 7);
  for (int64_t j = 0; j < count; ++j)
    for (int64_t e = 0; e < dim; ++e)
      points[j * dim + e] = 0.1f * points[j * dim + e] + (e == j / per_blob ? 50.0f : 0.0f);
  CounterRng rng(8, {0});
  const KMeans result = kmeans(points.data(), count, dim, 24, 4, rng);
  std::vector<int> blob_of_cluster(24, -1);
  int mixed = 0;
  for (int64_t j = 0; j < count; ++j) {
    int& blob = blob_of_cluster[result.assignment[j]];
    if (blob < 0) blob = static_cast<int>(j / per_blob);
    mixed += blob != j / per_blob;
  }
  CHECK(mixed == 0);
}

TEST_CASE("kmeans: results are identical for 1 and 2 threads") {
  const int64_t count = 1000, clusters = 30, dim = 16;
  const std::vector<float> points = gaussian_points(count, dim, 9);
  const int threads_before = num_threads();
  set_num_threads(1);
  CounterRng rng_one(10, {0});
  const KMeans one = kmeans(points.data(), count, dim, clusters, 4, rng_one);
  set_num_threads(2);
  CounterRng rng_two(10, {0});
  const KMeans two = kmeans(points.data(), count, dim, clusters, 4, rng_two);
  set_num_threads(threads_before);
  CHECK(one.assignment == two.assignment);
  CHECK(one.centroids == two.centroids);
}
