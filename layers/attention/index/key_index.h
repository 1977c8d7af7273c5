#pragma once
// KeyIndex: what the approximate attention modes know of one head's keys.
//
// For query i of a head (queries Q, keys K, T × d, scale s = 1/sqrt(d)) the
// candidates are C_i = {0..i} when causal, all T keys otherwise, with scaled
// scores S_ij = s·q_i·k_j. An index splits C_i into
//   - the head N_i: the k candidates of largest score that the index found
//     (all of C_i when |C_i| <= k), with their scores; and
//   - the tail C_i \ N_i, as groups, each with an upper bound on the scores
//     of its members. The exact index has one group whose bound is the
//     head's smallest score s_min, or with options.tight_tail two: the next
//     k candidates by score (bound: their largest score) and the rest
//     (bound: the smallest of those). The clustered index has one group per
//     unscanned cluster c (bound U_c = s·(q·μ_c + ‖q‖·r_c), Cauchy–Schwarz),
//     one per scanned cluster that holds no head member (bound: the largest
//     score met there), and one for the other scanned keys outside the head
//     (bound s_min). The unsearched index searches nothing: its head is the
//     query's own key and its tail one group with a Cauchy–Schwarz bound.
//     Groups are never empty. Each bound is raised by a small rounding
//     slack (key_index_search.h), so it holds for the real scores and for
//     any fp32 evaluation of them, whatever the summation order.
// The sampler (lazy_gumbel_sampler.h, docs/design.md §6.6) stays an exact sample
// from softmax(S_i) with any index that keeps these bounds true: every tail
// candidate is given its chance through its group's bound.
//
// An index is built once per call for all B·H heads from q and k, by
// build_key_index() (key_index_factory.h); then any thread may query it (all
// methods are const).
//
//   auto index = build_key_index(options, q, k, causal);   // q, k: [B, H, T, d]
//   const Neighbours head = index->neighbours(h, i);       // h in [0, B·H)
//   for (int64_t g = 0; g < index->tail_group_count(h, i); ++g) {
//     const TailGroup group = index->tail_group(h, i, g);
//     const int32_t first = index->tail_member(h, i, g, 0);  // ranks 0 .. group.size − 1
//     index->sample_tail_group(h, i, g, m, rng, members);  // m distinct, uniform
//   }
//   TailBoundsBuffer buffer;                                 // reused across queries
//   const TailBounds all = index->tail_bounds(h, i, buffer);  // every group's bound and size
#include <cmath>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/rng.h"
#include "core/tensor.h"
#include "layers/attention/attention_options.h"

namespace knnformer::attention {

// The head N_i of one query: key positions and their scaled scores, in no
// particular order; min_score is the smallest of them (s_min).
struct Neighbours {
  std::span<const int32_t> keys;
  std::span<const float> scores;
  float min_score = 0.0f;
};

// One group of a query's tail: `size` candidates outside the head whose
// scaled scores are all <= bound. Its members are numbered by rank, 0 to
// size − 1, in an order fixed by the index (tail_member); where the index
// stores them so, `members` points to them in that order (an unscanned
// cluster), else it is null.
struct TailGroup {
  float bound = 0.0f;
  int64_t size = 0;
  const int32_t* members = nullptr;
};

// The bounds and sizes of all of a query's tail groups, side by side in
// group order: bounds[g] and sizes[g] are tail_group(…, g)'s bound and size.
struct TailBounds {
  std::span<const float> bounds;
  std::span<const int32_t> sizes;
};

// Room for KeyIndex::tail_bounds to gather into, for an index that does not
// store its groups so.
struct TailBoundsBuffer {
  std::vector<float> bounds;
  std::vector<int32_t> sizes;
};

// What an index did, summed over all queries of a call (for diagnostics).
struct IndexStatistics {
  double queries = 0;
  double keys_scored = 0;       // scores computed while searching
  double candidates = 0;        // Σ_i |C_i|
  double centroids_scored = 0;  // clustered index: query–centroid scores computed
};

class KeyIndex {
 public:
  virtual ~KeyIndex() = default;

  int64_t heads() const { return heads_; }  // B·H
  int64_t time() const { return time_; }    // T
  int64_t dim() const { return dim_; }      // d
  bool causal() const { return causal_; }
  float scale() const { return scale_; }    // s
  int64_t candidates(int64_t query) const { return causal_ ? query + 1 : time_; }  // |C_i|

  virtual Neighbours neighbours(int64_t head, int64_t query) const = 0;

  virtual int64_t tail_group_count(int64_t head, int64_t query) const = 0;
  virtual TailGroup tail_group(int64_t head, int64_t query, int64_t group) const = 0;
  // The member (a key position) of rank `rank` in [0, size) of a group.
  virtual int32_t tail_member(int64_t head, int64_t query, int64_t group, int64_t rank) const = 0;
  // Every tail group's bound and size at once, for a sampler that weighs
  // them all per query: an index that stores them side by side points into
  // its tables; the default gathers them from tail_group() into `buffer`.
  // Valid until the next call with the same buffer.
  virtual TailBounds tail_bounds(int64_t head, int64_t query, TailBoundsBuffer& buffer) const;
  // Writes `count` distinct members of the group (key positions), each set of
  // `count` equally likely; count <= the group's size.
  void sample_tail_group(int64_t head, int64_t query, int64_t group, int64_t count, CounterRng& rng,
                         int32_t* members) const;
  // Writes `count` distinct members of the whole tail C_i \ N_i, uniformly (knn-tail).
  virtual void sample_tail(int64_t head, int64_t query, int64_t count, CounterRng& rng, int32_t* members) const = 0;

  // Whether neighbours() is a search for the largest scores (every index but
  // the unsearched one, whose head is each query's own key): a sampler that
  // scores a whole row measures what is negligible against the head's
  // largest score when it is, and against the row's own largest otherwise.
  virtual bool searches_head() const { return true; }

  virtual IndexStatistics statistics() const = 0;

 protected:
  KeyIndex(int64_t heads, int64_t time, int64_t dim, bool causal)
      : heads_(heads), time_(time), dim_(dim), causal_(causal), scale_(1.0f / std::sqrt(float(dim))) {}

 private:
  int64_t heads_, time_, dim_;
  bool causal_;
  float scale_;
};

struct KeyIndexOptions {
  KeyIndexKind kind = KeyIndexKind::exact;
  int64_t k = 8;               // head size
  int64_t clusters = 0;        // clustered: 0 means about sqrt(T)
  int64_t probes = 0;          // clustered: clusters scanned per query; 0 means a default
  uint64_t seed = 0;           // clustered: k-means initialisation
  // For samplers, whose tail work falls as the tail's bounds tighten: spend
  // search work on tighter bounds rather than on the head alone.
  //   exact: also keep the next k candidates by score as a tail group of
  //     their own (the near tier), so that the rest of the tail is bounded by
  //     the 2k-th score instead of the k-th; cuts the tail work where much of
  //     the softmax mass lies just below the head, for a top-2k search and
  //     T·k more positions.
  //   clustered: choose the clusters to scan by their Cauchy–Schwarz bound
  //     instead of their centroid's score, so that the clusters left to the
  //     tail are those with the lowest bounds; scans more keys, as clusters of
  //     large radius come first, and finds fewer of the true top k.
  bool tight_tail = false;
};

// recall@k of an index against the exact index of the same q, k and head
// size: the mean over all heads and queries of |N_i ∩ exact N_i| / |exact N_i|.
double recall_at_k(const KeyIndex& index, const KeyIndex& exact);

}  // namespace knnformer::attention
