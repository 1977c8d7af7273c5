#include "layers/attention/index/head_clusters.h"

#include <cmath>
#include <utility>

#include "layers/attention/index/kmeans.h"

namespace knnformer::attention::key_search {

namespace {

// offsets and members from cluster_of: a counting sort, which keeps each
// cluster's members in position order.
void group_by_cluster(int64_t clusters, HeadClusters& out) {
  out.offsets.assign(clusters + 1, 0);
  for (const int32_t c : out.cluster_of) ++out.offsets[c + 1];
  for (int64_t c = 0; c < clusters; ++c) out.offsets[c + 1] += out.offsets[c];
  std::vector<int32_t> next(out.offsets.begin(), out.offsets.end() - 1);
  out.members.resize(out.cluster_of.size());
  for (size_t j = 0; j < out.cluster_of.size(); ++j) out.members[next[out.cluster_of[j]]++] = static_cast<int32_t>(j);
}

// The radii of each cluster's member prefixes, in double against the stored
// (float) centroid, so that Cauchy–Schwarz holds for exactly the μ_c the
// queries score.
std::vector<double> prefix_radii(const float* keys, int64_t dim, int64_t clusters, const HeadClusters& out) {
  std::vector<double> radii(out.members.size());
  for (int64_t c = 0; c < clusters; ++c) {
    double radius = 0.0;
    for (int64_t n = 0; n < out.size(c); ++n) {
      const float* key = keys + out.members_of(c)[n] * dim;
      double squared = 0.0;
      for (int64_t e = 0; e < dim; ++e) {
        const double difference = double(key[e]) - out.centroids[c * dim + e];
        squared += difference * difference;
      }
      radius = std::max(radius, std::sqrt(squared));
      radii[out.offsets[c] + n] = radius;
    }
  }
  return radii;
}

// The panels of the tile products: each cluster's keys from a panel of their
// own (so that a causal prefix is whole panels and a last partial one), and
// the centroids.
void pack_panels(const float* keys, int64_t dim, int64_t clusters, HeadClusters& out) {
  out.first_panels.assign(clusters + 1, 0);
  for (int64_t c = 0; c < clusters; ++c) out.first_panels[c + 1] = out.first_panels[c] + tiles_for(out.size(c));
  out.key_panels = KeyPanels(out.first_panels[clusters], dim);
  out.centroid_panels = KeyPanels(tiles_for(clusters), dim);
  for (int64_t c = 0; c < clusters; ++c) {
    for (int64_t n = 0; n < out.size(c); ++n)
      out.key_panels.store(out.first_panels[c] * kTile + n, keys + out.members_of(c)[n] * dim);
    out.centroid_panels.store(c, out.centroids.data() + c * dim);
  }
}

}  // namespace

HeadClusters cluster_keys(const float* keys, int64_t time, int64_t dim, int64_t clusters, CounterRng rng) {
  KMeans kmeans_result = kmeans(keys, time, dim, clusters, kLloydIterations, rng, kTrainingKeysPerCluster);
  HeadClusters out;
  out.centroids = std::move(kmeans_result.centroids);
  out.cluster_of = std::move(kmeans_result.assignment);
  group_by_cluster(clusters, out);
  out.prefix_radii = prefix_radii(keys, dim, clusters, out);
  pack_panels(keys, dim, clusters, out);
  for (int64_t j = 0; j < time; ++j)
    out.largest_key_norm = std::max(out.largest_key_norm, key_search::norm(keys + j * dim, dim));
  return out;
}

}  // namespace knnformer::attention::key_search
