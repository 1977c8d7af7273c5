#pragma once
// One head's keys in clusters, the layout the clustered index searches
// (clustered_key_index.h, docs/design.md §6.4): k-means centroids, each
// cluster's members in position order, the radius of every prefix of those
// members, and the key and centroid panels the tile products read.
//
//   const HeadClusters head = cluster_keys(keys, T, d, C, rng);
//   head.members_of(c);  head.prefix_radius(c, n);  head.key_panels;
#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/rng.h"
#include "layers/attention/index/key_index_search.h"

namespace knnformer::attention::key_search {

// Lloyd steps of the k-means, on a sample of at most kTrainingKeysPerCluster
// keys per cluster, then one step over all keys (kmeans.h).
constexpr int kLloydIterations = 4;
constexpr int64_t kTrainingKeysPerCluster = 64;

struct HeadClusters {
  std::vector<float> centroids;       // C × d: μ_c
  // Per member, in the layout of members: the radius of the cluster's
  // members up to it, max ‖k_j − μ_c‖ over that prefix. A causal query's
  // candidates in c are a prefix, so its bound uses that prefix's radius.
  std::vector<double> prefix_radii;
  std::vector<int32_t> cluster_of;    // per key position
  std::vector<int32_t> offsets;       // the members of c are members[offsets[c] .. offsets[c + 1])
  std::vector<int32_t> members;       // key positions, ascending within each cluster
  std::vector<int64_t> first_panels;  // the keys of c fill panels [first_panels[c], first_panels[c + 1])
  KeyPanels key_panels;               // keys cluster by cluster, each cluster from a fresh panel
  KeyPanels centroid_panels;
  double largest_key_norm = 0.0;

  int64_t size(int64_t c) const { return offsets[c + 1] - offsets[c]; }
  const int32_t* members_of(int64_t c) const { return members.data() + offsets[c]; }
  // The radius of the first `count` members of c (0 for none).
  double prefix_radius(int64_t c, int64_t count) const {
    return count > 0 ? prefix_radii[offsets[c] + count - 1] : 0.0;
  }
  // The members of c at positions below `end`: a prefix of members_of(c).
  int64_t members_before(int64_t c, int64_t end) const {
    return std::lower_bound(members_of(c), members_of(c) + size(c), end) - members_of(c);
  }
};

// k-means on one head's T keys of width d into `clusters` clusters, seeded
// from rng, and the layout above.
HeadClusters cluster_keys(const float* keys, int64_t time, int64_t dim, int64_t clusters, CounterRng rng);

}  // namespace knnformer::attention::key_search
