#include "layers/attention/index/clustered_key_index.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <functional>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/kernels/top_k_selection.h"
#include "core/large_buffer.h"
#include "core/parallel.h"
#include "layers/attention/index/head_clusters.h"
#include "layers/attention/index/key_index_heads.h"
#include "layers/attention/index/key_index_sampling.h"
#include "layers/attention/index/key_index_search.h"
#include "layers/attention/index/kmeans.h"

namespace knnformer::attention {

namespace {

using key_search::HeadTable;
using key_search::KeyPanels;
using key_search::kTile;
using key_search::StreamingTopK;
using key_search::tiles_for;

// Queries per work item: enough that the queries scanning one cluster fill
// a good part of a tile product's rows (about kQueryBlock·probes/C of them),
// few enough that their top-k buffers stay near the core. At T = 32768 a
// block of 512 builds the index 20–23 ms (4%) faster than one of 256, in
// four alternating runs of bench_sampling; 1024 was no faster.
constexpr int64_t kQueryBlock = 512;

// The stream id of the k-means initialisation, beside the head: "kmeans".
constexpr uint64_t kKMeansStream = 0x6B6D65616E73;

using key_search::HeadClusters;
using key_search::cluster_keys;

// --- what each query saw ------------------------------------------------------------

// A cluster as one query sees it: one that it scanned, or a group of its tail.
struct ClusterSpan {
  int32_t cluster;  // kScannedRemainder: the tail group of scanned keys left out of the head
  int32_t size;     // the cluster's members among the query's candidates (the group's size)
  float bound;      // tail groups: an upper bound on their members' scores
};
constexpr int32_t kScannedRemainder = -1;

// Where a query's spans end: its scanned clusters come first, then its tail groups.
struct SpanCounts {
  int32_t scanned = 0;
  int32_t groups = 0;
};

// The spans of every query, `places` per query (row = head·T + query),
// stored as three tables side by side, so that a query's tail bounds and
// sizes are arrays (KeyIndex::tail_bounds) that a sampler weighs in a few
// vector instructions. Left uninitialised: only the places a query's
// SpanCounts cover are ever read.
class SpanTable {
 public:
  SpanTable(int64_t rows, int64_t places)
      : places_(places), clusters_(make_large_array<int32_t>(rows * places)),
        sizes_(make_large_array<int32_t>(rows * places)), bounds_(make_large_array<float>(rows * places)) {}

  int32_t cluster(int64_t row, int64_t place) const { return clusters_[row * places_ + place]; }
  ClusterSpan get(int64_t row, int64_t place) const {
    const int64_t at = row * places_ + place;
    return {.cluster = clusters_[at], .size = sizes_[at], .bound = bounds_[at]};
  }
  void set(int64_t row, int64_t place, const ClusterSpan& span) {
    const int64_t at = row * places_ + place;
    clusters_[at] = span.cluster;
    sizes_[at] = span.size;
    bounds_[at] = span.bound;
  }
  // The bounds and sizes of places [first, first + count) of a row.
  TailBounds bounds_and_sizes(int64_t row, int64_t first, int64_t count) const {
    const int64_t at = row * places_ + first;
    return {.bounds = {bounds_.get() + at, static_cast<size_t>(count)},
            .sizes = {sizes_.get() + at, static_cast<size_t>(count)}};
  }

 private:
  int64_t places_;
  LargeArray<int32_t> clusters_, sizes_;
  LargeArray<float> bounds_;
};

// A query of the current block that scans a cluster.
struct Visit {
  int32_t row;         // the query's row in the block
  int32_t candidates;  // the cluster's members among its candidates: a prefix of them
  int32_t first_slot;  // the slot of that prefix's first key in the query's scan
  int32_t span;        // the cluster's place among the query's scanned clusters
};

// One thread's working set for one block of queries.
struct Scratch {
  Scratch(int64_t clusters, int64_t dim, int64_t head_size)
      : centroid_scores(kQueryBlock * tiles_for(clusters) * kTile), candidates(clusters), scanned(clusters),
        radii(clusters), bounds(clusters), rank_values(clusters),
        visits(clusters), best(kQueryBlock, StreamingTopK(head_size)), scanned_keys(kQueryBlock), slacks(kQueryBlock),
        scanned_best(kQueryBlock * clusters), query_tile(kTile * dim), scores(kTile * kTile) {
    best_clusters.reserve(clusters);
    other_clusters.reserve(clusters);
  }
  std::vector<float> centroid_scores;      // per query row: q·μ_c, raw
  std::vector<int32_t> candidates;         // per cluster: its members among the current query's candidates
  std::vector<char> scanned;               // per cluster: whether the current query scans it
  std::vector<double> radii;               // per cluster: the radius of its candidates (0 for none)
  std::vector<float> bounds;               // per cluster: the current query's U_c
  std::vector<float> rank_values;          // per cluster: what the current query ranks probes by
  std::vector<std::vector<Visit>> visits;  // per cluster: the queries of the block that scan it
  std::vector<StreamingTopK> best;         // per query row
  std::vector<int64_t> scanned_keys;       // per query row
  std::vector<double> slacks;              // per query row: its scores' rounding slack (key_index_search.h)
  // Per query row and scanned cluster (by its place among the row's): the
  // largest raw score the scan met there.
  std::vector<float> scanned_best;
  // For finish_query, one row at a time: its head with the slots renumbered
  // and their keys, whether each scanned cluster holds head members, and
  // the scanned clusters as the plan left them.
  std::vector<key_search::Candidate> renumbered_head;
  std::vector<int32_t> head_keys;
  std::vector<char> holds_head;
  std::vector<ClusterSpan> scanned_spans;
  std::vector<float> query_tile;           // the rows of up to kTile queries scanning one cluster
  std::vector<float> scores;               // their score tile
  // For choosing the clusters to scan: the best `probes`, then a heap of the others.
  std::vector<key_search::Candidate> best_clusters, other_clusters;
};

class ClusteredKeyIndex final : public KeyIndex {
 public:
  ClusteredKeyIndex(const KeyIndexOptions& options, const Tensor& q, const Tensor& k, bool causal)
      : KeyIndex(q.size(0) * q.size(1), q.size(2), q.size(3), causal), head_size_(options.k),
        probes_(options.probes > 0 ? options.probes : kDefaultProbes), probe_by_bound_(options.tight_tail),
        cluster_count_(std::min(time(), options.clusters > 0 ? options.clusters : default_cluster_count(time()))),
        heads_(heads(), time(), head_size_, /*slots_are_keys=*/false, scale()),
        spans_(heads() * time(), cluster_count_ + 1),
        span_counts_(heads() * time()) {
    // Heads clustered in parallel when there are at least as many as
    // threads: a head's k-means is parallel only in its assignment steps
    // (which then run on one thread each), and serial in the rest (means,
    // radii, panels), which at T = 32768 was half its time.
    clusters_.resize(heads());
    const auto cluster_head = [&](int64_t head) {
      clusters_[head] = cluster_keys(k.data() + head * time() * dim(), time(), dim(), cluster_count_,
                                     CounterRng(options.seed, {kKMeansStream, uint64_t(head)}));
    };
    if (heads() >= num_threads()) {
      parallel_for_dynamic(0, heads(), cluster_head);
    } else {
      for (int64_t head = 0; head < heads(); ++head) cluster_head(head);
    }
    search(q.data());
  }

  Neighbours neighbours(int64_t head, int64_t query) const override { return heads_.neighbours(head, query); }

  int64_t tail_group_count(int64_t head, int64_t query) const override {
    return span_counts_[head * time() + query].groups;
  }

  TailGroup tail_group(int64_t head, int64_t query, int64_t group) const override {
    const ClusterSpan span = tail_span(head, query, group);
    // An unscanned cluster's members are its candidates in position order, stored as they are.
    const int32_t* members =
        span.cluster == kScannedRemainder ? nullptr : clusters_[head].members_of(span.cluster);
    return {.bound = span.bound, .size = span.size, .members = members};
  }

  // The sampler's call per tail proposal: for a cluster's group, reads only
  // the cluster and its members (the scanned remainder walks the scan).
  int32_t tail_member(int64_t head, int64_t query, int64_t group, int64_t rank) const override {
    const int32_t cluster = spans_.cluster(head * time() + query, tail_place(head, query, group));
    if (cluster != kScannedRemainder) return clusters_[head].members_of(cluster)[rank];
    return key_at_slot(head, query, key_search::nth_slot_outside(heads_.slots(head, query), rank));
  }

  TailBounds tail_bounds(int64_t head, int64_t query, TailBoundsBuffer&) const override {
    return stored_tail_bounds(head, query);
  }

  // Ranks over the tail groups laid end to end; sorted, they are mapped to
  // members in one sweep over the groups.
  void sample_tail(int64_t head, int64_t query, int64_t count, CounterRng& rng, int32_t* members) const override {
    const std::span<const int32_t> sizes = stored_tail_bounds(head, query).sizes;
    const int64_t tail_size = std::accumulate(sizes.begin(), sizes.end(), int64_t{0});
    key_search::require_sample_count(count, tail_size);
    key_search::sample_distinct_ranks(tail_size, count, rng, members);
    std::sort(members, members + count);
    int64_t group = 0, first_rank = 0;  // of the current group
    for (int64_t n = 0; n < count; ++n) {
      while (members[n] >= first_rank + sizes[group]) first_rank += sizes[group++];
      members[n] = tail_member(head, query, group, members[n] - first_rank);
    }
  }

  IndexStatistics statistics() const override {
    return {.queries = double(heads() * time()), .keys_scored = keys_scored_,
            .candidates = double(heads()) * key_search::total_candidates(time(), causal()),
            .centroids_scored = double(heads() * time() * cluster_count_)};
  }

 private:
  // --- the stored spans ---

  // A query's tail group's place in its row of spans_ (after its scanned clusters).
  int64_t tail_place(int64_t head, int64_t query, int64_t group) const {
    const SpanCounts counts = span_counts_[head * time() + query];
    if (group < 0 || group >= counts.groups) [[unlikely]]
      throw Error("clustered KeyIndex: query " + std::to_string(query) + " of head " + std::to_string(head) +
                  " has no tail group " + std::to_string(group));
    return counts.scanned + group;
  }
  ClusterSpan tail_span(int64_t head, int64_t query, int64_t group) const {
    return spans_.get(head * time() + query, tail_place(head, query, group));
  }
  TailBounds stored_tail_bounds(int64_t head, int64_t query) const {
    const SpanCounts counts = span_counts_[head * time() + query];
    return spans_.bounds_and_sizes(head * time() + query, counts.scanned, counts.groups);
  }

  // The key a query met at a slot of its scan, for the rank-th member of its
  // scanned remainder (the slots outside its head): the scanned clusters'
  // causal prefixes laid end to end, in cluster order.
  int32_t key_at_slot(int64_t head, int64_t query, int64_t slot) const {
    const int64_t row = head * time() + query;
    for (int32_t place = 0; place < span_counts_[row].scanned; ++place) {
      const ClusterSpan scanned = spans_.get(row, place);
      if (slot < scanned.size) return clusters_[head].members_of(scanned.cluster)[slot];
      slot -= scanned.size;
    }
    assert(false && "a slot beyond the keys scanned");
    return -1;
  }

  // --- the search ---

  void search(const float* q) {
    const int64_t blocks = (time() + kQueryBlock - 1) / kQueryBlock, items = blocks * heads();
    std::vector<int64_t> scanned_keys(items);
    // Work items are (query block, head), the costliest causal blocks (the last) first.
#pragma omp parallel
    {
      Scratch scratch(cluster_count_, dim(), head_size_);
#pragma omp for schedule(dynamic, 1)
      for (int64_t item = 0; item < items; ++item)
        scanned_keys[item] = search_block(q, item % heads(), blocks - 1 - item / heads(), scratch);
    }
    for (const int64_t keys : scanned_keys) keys_scored_ += double(keys);
  }

  // The heads and tail groups of one block of queries; returns the keys scanned.
  int64_t search_block(const float* q, int64_t head, int64_t block, Scratch& scratch) {
    const HeadClusters& clusters = clusters_[head];
    const int64_t first_query = block * kQueryBlock, rows = std::min(kQueryBlock, time() - first_query);
    const float* queries = q + (head * time() + first_query) * dim();
    const int64_t scores_stride = tiles_for(cluster_count_) * kTile;
    score_centroids(queries, rows, clusters, scratch.centroid_scores.data(), scores_stride);

    for (int64_t c = 0; c < cluster_count_; ++c) {
      const int64_t candidates = causal() ? clusters.members_before(c, first_query) : clusters.size(c);
      scratch.candidates[c] = static_cast<int32_t>(candidates);
      scratch.radii[c] = clusters.prefix_radius(c, candidates);
      scratch.visits[c].clear();
    }
    for (int64_t r = 0; r < rows; ++r) {
      scratch.best[r].clear();
      // Causally, query i sees its own key for the first time.
      if (causal()) {
        const int32_t c = clusters.cluster_of[first_query + r];
        scratch.radii[c] = clusters.prefix_radius(c, ++scratch.candidates[c]);
      }
      plan_scan(head, first_query + r, queries + r * dim(), scratch.centroid_scores.data() + r * scores_stride,
                r, scratch);
    }
    scan_clusters(queries, clusters, scratch);

    int64_t scanned_keys = 0;
    for (int64_t r = 0; r < rows; ++r) {
      finish_query(head, first_query + r, scratch.best[r].best(), scratch.scanned_best.data() + r * cluster_count_,
                   scratch.slacks[r], scratch);
      scanned_keys += scratch.scanned_keys[r];
    }
    return scanned_keys;
  }

  // Raw q·μ_c of every query row against every centroid.
  void score_centroids(const float* queries, int64_t rows, const HeadClusters& clusters, float* scores,
                       int64_t scores_stride) const {
    for (int64_t first_row = 0; first_row < rows; first_row += kTile)
      for (int64_t panel = 0; panel < tiles_for(cluster_count_); ++panel)
        key_search::score_tile(queries + first_row * dim(), std::min(kTile, rows - first_row), dim(),
                               clusters.centroid_panels.panel(panel),
                               scores + first_row * scores_stride + panel * kTile, scores_stride,
                               std::min(kTile, cluster_count_ - panel * kTile));
  }

  // Marks the clusters query `query` scans in scratch.scanned: those with
  // candidates, best first by q·μ_c or by U_c/s (ties to the lower index),
  // the best `probes` of them and then more while fewer than k keys are
  // chosen. Returns how many it marked.
  int32_t choose_clusters(Scratch& scratch) const {
    // Clusters packed as candidates (key_index_search.h), ranked by one
    // comparison. The best `probes` in one pass: a list kept sorted, best
    // first, that after the first few clusters hardly any other enters (and
    // what scores below its last is not even packed).
    const std::vector<float>& rank_value = scratch.rank_values;
    std::vector<key_search::Candidate>& best = scratch.best_clusters;
    best.clear();
    float last_value = -INFINITY;  // of best.back() once the list is full
    for (int64_t c = 0; c < cluster_count_; ++c) {
      if (rank_value[c] < last_value || scratch.candidates[c] == 0) continue;
      const key_search::Candidate candidate = key_search::pack_candidate(rank_value[c], c);
      if (static_cast<int64_t>(best.size()) == probes_) {
        if (candidate < best.back()) continue;
        best.pop_back();
      }
      best.insert(std::upper_bound(best.begin(), best.end(), candidate, std::greater<>()), candidate);
      if (static_cast<int64_t>(best.size()) == probes_) last_value = key_search::score_of(best.back());
    }
    int64_t chosen_keys = 0;
    for (const key_search::Candidate candidate : best) {
      const int32_t c = key_search::slot_of(candidate);
      scratch.scanned[c] = 1;
      chosen_keys += scratch.candidates[c];
    }
    auto chosen = static_cast<int32_t>(best.size());
    if (chosen_keys >= head_size_) return chosen;
    // Past the probes (early causal queries, tiny clusters): the next best,
    // until k keys are chosen. An early causal query needs tens of clusters
    // more, so the others go into a heap, best on top, rather than each
    // being found by a pass over all clusters.
    std::vector<key_search::Candidate>& others = scratch.other_clusters;
    others.clear();
    for (int64_t c = 0; c < cluster_count_; ++c)
      if (scratch.candidates[c] > 0 && !scratch.scanned[c])
        others.push_back(key_search::pack_candidate(rank_value[c], c));
    std::make_heap(others.begin(), others.end());
    for (; chosen_keys < head_size_ && !others.empty(); ++chosen) {
      std::pop_heap(others.begin(), others.end());
      const int32_t c = key_search::slot_of(others.back());
      others.pop_back();
      scratch.scanned[c] = 1;
      chosen_keys += scratch.candidates[c];
    }
    return chosen;
  }

  // Chooses the clusters query `query` scans, queues its visits to them, and
  // records them and the tail groups of the clusters it does not scan.
  void plan_scan(int64_t head, int64_t query, const float* query_row, const float* centroid_scores, int64_t row,
                 Scratch& scratch) {
    const HeadClusters& clusters = clusters_[head];
    const double query_norm = key_search::norm(query_row, dim());
    // U_c = s·(q·μ_c + ‖q‖·r_c), Cauchy–Schwarz, r_c of the candidates'
    // prefix, raised by the rounding slack, and what the probes are ranked by
    // (for every cluster, in vector lanes; those without candidates are
    // never read).
    const double slack = key_search::score_rounding_slack(dim(), scale(), query_norm, clusters.largest_key_norm);
    scratch.slacks[row] = slack;
    for (int64_t c = 0; c < cluster_count_; ++c) {
      const double raw_bound = double(centroid_scores[c]) + query_norm * scratch.radii[c];
      scratch.bounds[c] = key_search::round_up_to_float(scale() * raw_bound + slack);
      scratch.rank_values[c] = probe_by_bound_ ? static_cast<float>(raw_bound) : centroid_scores[c];
    }
    const int32_t chosen = choose_clusters(scratch);

    // In cluster order: the scanned clusters, their candidates laid end to
    // end as the query's slots (so that scan_clusters offers them in slot
    // order), and the tail groups, stored after the scanned clusters.
    const int64_t spans_row = head * time() + query;
    int32_t scanned = 0, groups = 0, slot = 0;
    for (int64_t c = 0; c < cluster_count_; ++c) {
      const int32_t candidates = scratch.candidates[c];
      if (candidates == 0) continue;
      if (scratch.scanned[c]) {
        scratch.scanned[c] = 0;
        scratch.visits[c].push_back(
            {.row = int32_t(row), .candidates = candidates, .first_slot = slot, .span = scanned});
        scratch.scanned_best[row * cluster_count_ + scanned] = -INFINITY;
        spans_.set(spans_row, scanned++, {.cluster = int32_t(c), .size = candidates, .bound = 0.0f});
        slot += candidates;
      } else {
        spans_.set(spans_row, chosen + groups++,
                   {.cluster = int32_t(c), .size = candidates, .bound = scratch.bounds[c]});
      }
    }
    assert(scanned == chosen);
    span_counts_[spans_row] = {.scanned = scanned, .groups = groups};
    scratch.scanned_keys[row] = slot;
  }

  // Scores every cluster's visiting queries against the cluster's keys, a
  // tile at a time, offers each query its candidates among them and keeps
  // the largest of those scores.
  void scan_clusters(const float* queries, const HeadClusters& clusters, Scratch& scratch) const {
    for (int64_t c = 0; c < cluster_count_; ++c) {
      const std::vector<Visit>& visits = scratch.visits[c];
      for (size_t first = 0; first < visits.size(); first += kTile) {
        const int64_t rows = std::min<int64_t>(kTile, visits.size() - first);
        int64_t longest = 0;
        for (int64_t v = 0; v < rows; ++v) {
          std::copy_n(queries + visits[first + v].row * dim(), dim(), scratch.query_tile.begin() + v * dim());
          longest = std::max<int64_t>(longest, visits[first + v].candidates);
        }
        for (int64_t tile = 0; tile < tiles_for(longest); ++tile) {
          // Only the columns that some visitor reads: the last tile of a short prefix is mostly padding.
          key_search::score_tile(scratch.query_tile.data(), rows, dim(),
                                 clusters.key_panels.panel(clusters.first_panels[c] + tile), scratch.scores.data(),
                                 kTile, std::min(kTile, longest - tile * kTile));
          for (int64_t v = 0; v < rows; ++v) {
            const Visit& visit = visits[first + v];
            const int64_t visible = std::min(kTile, visit.candidates - tile * kTile);
            if (visible <= 0) continue;
            const float* const scores = scratch.scores.data() + v * kTile;
            scratch.best[visit.row].offer(scores, visible, visit.first_slot + tile * kTile);
            float& largest_met = scratch.scanned_best[visit.row * cluster_count_ + visit.span];
            largest_met = std::max(largest_met, kernels::selection::largest(scores, visible));
          }
        }
      }
    }
  }

  // Completes a query's spans once its scan is over. A scanned cluster that
  // holds no member of the head becomes a tail group of its own, bounded by
  // the largest score the scan met there: as tight as a bound can be, where
  // s_min would overstate every key of such a cluster (one scanned for its
  // centroid's direction or its radius, but holding other keys). The head is
  // stored, its slots renumbered over the clusters that hold it; their keys
  // left out of the head form the last tail group, bounded by s_min.
  void finish_query(int64_t head, int64_t query, std::span<const key_search::Candidate> best,
                    const float* scanned_best, double slack, Scratch& scratch) {
    const int64_t row = head * time() + query;
    SpanCounts& counts = span_counts_[row];
    std::vector<ClusterSpan>& scanned = scratch.scanned_spans;
    scanned.resize(counts.scanned);
    for (int32_t place = 0; place < counts.scanned; ++place) scanned[place] = spans_.get(row, place);

    // Slots come in ascending order: one walk over the scanned clusters finds
    // those that hold the head and the slots of the others before each slot.
    std::vector<char>& holds_head = scratch.holds_head;
    holds_head.assign(counts.scanned, 0);
    std::vector<key_search::Candidate>& renumbered = scratch.renumbered_head;
    renumbered.resize(best.size());
    std::vector<int32_t>& head_keys = scratch.head_keys;
    head_keys.resize(best.size());
    for (size_t n = 0, span = 0, first_slot = 0, slots_left_out = 0; n < best.size(); ++n) {
      const auto slot = static_cast<size_t>(key_search::slot_of(best[n]));
      for (; slot >= first_slot + scanned[span].size; first_slot += scanned[span++].size)
        if (!holds_head[span]) slots_left_out += scanned[span].size;
      holds_head[span] = 1;
      head_keys[n] = clusters_[head].members_of(scanned[span].cluster)[slot - first_slot];
      renumbered[n] = key_search::with_slot(best[n], int64_t(slot - slots_left_out));
    }

    // The clusters that hold the head move to the front; the others follow
    // as tail groups, just before those of the unscanned clusters.
    int32_t holding = 0;
    int64_t held_keys = 0;
    for (int32_t span = 0; span < counts.scanned; ++span) {
      if (!holds_head[span]) continue;
      held_keys += scanned[span].size;
      spans_.set(row, holding++, scanned[span]);
    }
    for (int32_t span = 0, place = holding; span < counts.scanned; ++span) {
      if (holds_head[span]) continue;
      const double bound = scale() * double(scanned_best[span]) + slack;
      spans_.set(row, place++, {.cluster = scanned[span].cluster, .size = scanned[span].size,
                                .bound = key_search::round_up_to_float(bound)});
    }
    counts.groups += counts.scanned - holding;
    counts.scanned = holding;

    // The renumbered slots are the scanned clusters that hold the head, laid
    // end to end; store() asks for their keys in slot order, as found above.
    size_t next_key = 0;
    heads_.store(head, query, renumbered, [&]([[maybe_unused]] int32_t slot) {
      assert(slot == key_search::slot_of(renumbered[next_key]));
      return head_keys[next_key++];
    });
    const int64_t remainder = held_keys - static_cast<int64_t>(best.size());
    if (remainder == 0) return;
    const double bound = double(heads_.neighbours(head, query).min_score) + slack;
    spans_.set(row, counts.scanned + counts.groups++,
               {.cluster = kScannedRemainder, .size = static_cast<int32_t>(remainder),
                .bound = key_search::round_up_to_float(bound)});
  }

  int64_t head_size_, probes_;
  bool probe_by_bound_;
  int64_t cluster_count_;
  std::vector<HeadClusters> clusters_;  // per head
  HeadTable heads_;
  SpanTable spans_;  // cluster_count_ + 1 places per query: scanned clusters, then tail groups
  std::vector<SpanCounts> span_counts_;   // per query
  double keys_scored_ = 0.0;
};

}  // namespace

int64_t default_cluster_count(int64_t time) {
  return std::max<int64_t>(1, std::llround(std::sqrt(double(time))));
}

std::unique_ptr<KeyIndex> build_clustered_key_index(const KeyIndexOptions& options, const Tensor& q, const Tensor& k,
                                                    bool causal) {
  return std::make_unique<ClusteredKeyIndex>(options, q, k, causal);
}

}  // namespace knnformer::attention
