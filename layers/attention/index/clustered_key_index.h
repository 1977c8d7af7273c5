#pragma once
// The clustered kNN index (docs/design.md §6.4, `--knn-index clustered`): a
// sub-quadratic search whose tail bounds keep lazy Gumbel sampling exact.
//
// Build, per head: k-means over the keys (kmeans.h) with C clusters,
// C = options.clusters or else round(sqrt(T)), started from keys drawn by
// CounterRng keyed by (options.seed, head): kLloydIterations steps on a
// sample of kTrainingKeysPerCluster·C keys, then one over all: O(T·C·d).
// A cluster keeps its members in position order, so that its causal
// candidates for query i are a prefix found by binary search, its centroid
// μ_c (the members' mean) and the radius max ‖k_j − μ_c‖ of each prefix of
// its members.
//
// Search, per query i: score all centroids, then scan clusters in order of
// q_i·μ_c, or with options.tight_tail of their bound U_c (below; ties to the
// lower index), each only as far as its candidates for i: the first `probes`
// clusters that have candidates, and more while fewer than k keys have been
// scanned, so that |N_i| = min(k, |C_i|) always. The head N_i is the top k
// of the scanned keys (ties to the key scanned first). Scans are batched:
// within a block of queries, the queries that scan one cluster are scored
// against its keys by tile products.
//
// Tail groups of query i, none empty:
//   - each scanned cluster that holds no head member, with its candidates,
//     bounded by the largest score met there: exact, where s_min would
//     overstate a cluster scanned for its centroid's direction or its
//     radius but holding other keys;
//   - each cluster it did not scan, with its candidates, bounded by
//     Cauchy–Schwarz, U_c = s·(q_i·μ_c + ‖q_i‖·r_c) (q·k = q·μ + q·(k − μ)
//     <= q·μ + ‖q‖·‖k − μ‖), r_c the radius of those candidates (a prefix,
//     tighter than the cluster's);
//   - last, the other scanned keys left out of the head, bound s_min.
// All bounds are raised by the rounding slack of key_index_search.h, so they
// bound the scores however they are evaluated.
//
// statistics(): keys_scored counts the scanned keys, centroids_scored the
// query–centroid scores (T·C per head). Memory: O(T·(k + C)) per head.
//
// Reached through build_key_index() with options.kind = KeyIndexKind::clustered, which
// checks the arguments.
#include <cstdint>
#include <memory>

#include "core/tensor.h"
#include "layers/attention/index/key_index.h"

namespace knnformer::attention {

// Clusters scanned per query when options.probes is 0. Recall@k against the
// exact index, causal, d = 64, k and C the defaults (bench_key_index):
//   data with cluster structure (Q, K near sqrt(T)/2 shared centres):
//     0.96 at T = 1024, 0.95 at 4096, 0.94 at 16384, 0.94 at 32768
//     (one probe: 0.91 to 0.94);
//   independent Gaussian entries, which have no clusters to find:
//     0.33 at T = 1024, 0.22 at 4096, 0.14 at 16384, 0.12 at 32768.
// On Gaussian data recall rises only with a fixed fraction of the clusters
// scanned (32 of 128 at T = 16384: 0.56), which makes the search quadratic;
// there the Cauchy–Schwarz bounds carry the tail instead, and lazy Gumbel
// sampling stays exact at the cost of more tail work.
// With tight_tail (clusters chosen by their bound), at T = 32768 on the data
// with cluster structure: recall 0.89 instead of 0.94, 640 keys scanned per
// query instead of 426, and a sampler scores 1.4 tail keys per sample instead
// of 2.5.
constexpr int64_t kDefaultProbes = 4;
// The k-means's Lloyd steps: kLloydIterations and kTrainingKeysPerCluster
// (head_clusters.h).

// round(sqrt(T)), the cluster count when options.clusters is 0.
int64_t default_cluster_count(int64_t time);

// q, k: [B, H, T, d], contiguous; options.k >= 1, clusters and probes >= 0.
std::unique_ptr<KeyIndex> build_clustered_key_index(const KeyIndexOptions& options, const Tensor& q, const Tensor& k,
                                                    bool causal);

}  // namespace knnformer::attention
