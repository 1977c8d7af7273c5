#pragma once
// k-means clustering by Lloyd's algorithm, for the clustered key index
// (docs/design.md §6.4): assign every point to its nearest centroid, move every
// centroid to the mean of its points, and repeat a fixed number of times.
//
// Assignment is the costly step, O(n·C·d): it scores 64 points against 64
// centroids at a time with the AVX-512 tile product, using
// ‖x − μ‖² = ‖x‖² − 2·x·μ + ‖μ‖², so that the nearest centroid is the one of
// largest x·μ − ½‖μ‖². OpenMP over tiles of points; the result does not
// depend on the thread count.
//
//   CounterRng rng(seed, {stream, head});
//   const KMeans clusters = kmeans(keys, T, d, /*clusters=*/64, /*iterations=*/4, rng);
//   // clusters.assignment[j] is the cluster of key j, clusters.centroids its μ
#include <cstdint>
#include <vector>

#include "core/rng.h"

namespace knnformer::attention {

struct KMeans {
  std::vector<float> centroids;     // clusters × dim, row-major
  std::vector<int32_t> assignment;  // per point: its cluster
};

// Starts from `clusters` distinct points drawn uniformly with rng, then runs
// `iterations` Lloyd steps (assign, then update): the assignment returned is
// that of the last step and each centroid is the mean of the points assigned
// to it there; a cluster left without points keeps its previous centroid.
// With max_points_per_centroid > 0 and more points than that many per
// cluster, the Lloyd steps train on a uniform sample of that many per
// cluster (as faiss does), and one last step runs over all the points: the
// cost falls from iterations·n·C·d to about n·C·d.
// points: count × dim, row-major; 1 <= clusters <= count; iterations >= 1.
KMeans kmeans(const float* points, int64_t count, int64_t dim, int64_t clusters, int iterations, CounterRng& rng,
              int64_t max_points_per_centroid = 0);

// Each point's nearest centroid, ties going to the lower index, as computed
// by kmeans's assignment step. centroids: clusters × dim, row-major.
std::vector<int32_t> nearest_centroids(const float* points, int64_t count, int64_t dim,
                                       const std::vector<float>& centroids);

}  // namespace knnformer::attention
