#pragma once
// Exact samples j ~ A_i = softmax_j(S_ij) over a query's candidates C_i
// (docs/design.md §5.5), at a cost of O(k) per query plus a few scored tail keys
// per sample, given a KeyIndex that splits C_i into a head N_i (with scores)
// and tail groups g with bounds b_g (every member has S_ij <= b_g).
//
// The reference is lazy Gumbel sampling (Mussmann, Levy, Ermon, UAI 2017) as
// docs/design.md §5.5 writes it, the Gumbel-max trick j = argmax_j (S_ij + G_j)
// (TailDraw::binomial):
//   1. The head's maximum M = max_{j∈N_i} (S_ij + G_j) and its argmax j*.
//   2. For each tail group, only members with G_j > B = M − b_g can beat M.
//      Their number is m ~ Binomial(|g|, P(G > B)), P(G > B) = 1 − exp(−e^{−B}),
//      and given m they are m distinct members chosen uniformly, each with a
//      Gumbel truncated to (B, ∞).
//   3. Each of them is scored, S_ij = s·q_i·k_j; if S_ij + G_j > M it becomes
//      j* and M = S_ij + G_j.
// Steps 2–3 use the running M and visit the groups by decreasing bound: the
// groups' Gumbels are independent of everything drawn before them, so asking
// group g only for members above the current M is again an exact lazy draw,
// and a member not drawn has S + G <= b_g + B = M and cannot win.
// Step 1 needs no k Gumbels (HeadDraw::max_stable, the default): over the head,
// (argmax, max) of S_j + G_j is distributed as (j ~ softmax over N_i, LSE + G)
// with LSE = log Σ_{N_i} e^{S_j} and G ~ Gumbel(0, 1) independent of j: one
// uniform (an index into the head's running softmax weights) and one Gumbel.
// HeadDraw::per_candidate draws the k Gumbels literally.
//
// The default, TailDraw::rejection, draws the same law from the same head
// and bounds by rejection: propose j with probability proportional to
// e^{S_ij} on the head and to e^{b_g} on each member of each tail group g;
// accept a head proposal always and a tail proposal with probability
// e^{S_ij − b_g} <= 1 (scoring it); repeat until one is accepted. Then
// P(propose j and accept it) is proportional to e^{S_ij}: every accepted
// proposal is an exact sample. The tail keys scored per sample are U/Z
// (U = Σ_g |g|·e^{b_g}, Z = Σ_{C_i} e^{S_ij}), about the work of lazy
// Gumbel's step 2, which is U/Z_head to first order (Z_head = Σ_{N_i} e^{S_ij}),
// but without a logarithm per tail key and without keeping the members of
// a draw distinct: one uniform point on the running masses (head, then the
// groups) picks the head member, or the group and the member within it, and
// a tail proposal adds a uniform and an exp() for its acceptance.
// draw() with a count proposes kLookahead proposals ahead and prefetches
// their key rows, so that their cache misses overlap. The groups' bounds
// come from KeyIndex::tail_bounds as arrays, and their members' masses
// m_g ≈ e^{b_g − S} (S = max(LSE, largest bound)) are computed in float, 8
// at a time, and rounded up so that m_g >= e^{b_g − S}; a tail proposal is
// accepted with probability e^{S_ij − S}/m_g, which keeps every sample exact
// whatever the masses' rounding. A group more than 87 nats below S
// underflows and is never proposed (on a lazy row its members hold under
// |C_i|²·e^{−87} of the row's mass).
//
// A row is scored whole once when that is cheaper than one draw's expected
// tail work U/Z_head (bounds far above the head's log-partition, where
// rejection would take e^{excess} proposals), or, with dense_when_cheaper,
// than the draws planned for the query. Such a row is drawn from by the same
// rejection, with exact bounds: its keys scoring at least the head's
// largest score less negligible_nats are weighed (a softmax over them, as the head;
// with an index that does not search its head, KeyIndex::searches_head, the
// row's own largest score takes the head's place),
// and the others form one tail group bounded by that threshold (raised by
// the scores' rounding slack, key_index_search.h, as a proposal of the group
// is scored again). On a trained model almost every key of a row lies tens
// of nats below the head's largest, so a row's exponentials, running sums and draws
// cover a few hundred keys rather than all of C_i, and the group is proposed
// at most once in e^{negligible_nats}/|C_i| draws.
// Whole rows are scored for up to kScoreBlockQueries consecutive queries at
// once, from the first of a block of them that goes dense to the block's end:
// on a trained model most rows of a block do, and one product of their
// queries with the keys (gemm::sgemm) reads each key once for all of them,
// where scoring row by row reads it once per query. The product runs over
// kScoredKeysPerChunk keys at a time, and each row keeps only its weighed
// keys of a chunk while the chunk's scores are still in cache: the scores of
// a whole block would not fit there. A thread takes whole blocks, in order
// (for_each_query_by_blocks), so which rows are scored together, and so the
// scores and the samples, do not depend on the thread count.
//
//   const SamplingKey key{seed, step, micro_step, layer};
//   std::vector<int32_t> samples(heads * T * L);
//   SamplingStatistics statistics;
//   draw_attention_samples(*index, q, k, L, key, SampleStream::forward, samples.data(), &statistics);
//   // samples[(h·T + i)·L + l] is the l-th key drawn for query i of head h.
//
// All randomness comes from CounterRng streams keyed by (seed, step,
// micro_step, layer, stream, head, query), one stream per query: the samples
// do not depend on the thread count or on the order of the work.
#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "core/enum_names.h"
#include "core/rng.h"
#include "layers/attention/index/key_index.h"

namespace knnformer::attention {

// Which call of the training run a random draw belongs to.
struct SamplingKey {
  uint64_t seed = 0;
  uint64_t step = 0;
  uint64_t micro_step = 0;
  uint64_t layer = 0;
};

// What the draw is for, so that the forward's samples, the backward's fresh
// ones and the knn-tail members come from independent streams.
enum class SampleStream : uint64_t {
  forward = 1,
  backward = 2,  // fresh samples for a sampled backward whose forward drew none
  knn_tail = 3,
  importance_starts = 4,   // the sampled backward's allocation of start rows
  importance_samples = 5,  // and the samples drawn from them (independent of the rows' own)
};

// The random stream of one query of one head for one purpose.
CounterRng query_rng(const SamplingKey& key, SampleStream stream, int64_t head, int64_t query);

// How a head member is drawn (a proposal of the rejection tail; step 1 of the binomial one).
enum class HeadDraw {
  max_stable,     // one uniform (and for the binomial tail one Gumbel) per draw (the default)
  per_candidate,  // one Gumbel per head member per draw (the literal algorithm; reference)
};

enum class TailDraw {
  rejection,  // proposals from the head and the bounds, tail ones accepted by score (the default)
  binomial,   // lazy Gumbel sampling, docs/design.md §5.5 steps 2–3 as written (reference)
};
constexpr std::array<EnumName<TailDraw>, 2> kTailDrawNames{
    {{TailDraw::rejection, "rejection"}, {TailDraw::binomial, "binomial"}}};
constexpr const auto& enum_names(TailDraw) { return kTailDrawNames; }

struct SamplerOptions {
  HeadDraw head = HeadDraw::max_stable;
  TailDraw tail = TailDraw::rejection;
  // Score the whole row C_i once and draw from it instead (above), when the
  // draws of a query could score at least half as many tail keys as there
  // are (planned draws × U/Z_head, which bounds the expected tail work of
  // both tail draws). Loose bounds (the clustered index's Cauchy–Schwarz
  // bounds in high dimension) then cost at most one pass over C_i per query.
  // A key of a whole row costs a fraction of a tail proposal (a block
  // product's share and a comparison, against a random row's dot product, an
  // exp and random numbers); of the thresholds 2, 1/2 and 1/4 of the tail,
  // 1/2 gave the least sampling time both on a trained model at T = 8192 and
  // at initialisation at T = 16384 (bench_step_profile; docs/results.md),
  // when a whole row also took an exp and a sum per key.
  // (Without it, a row is still scored whole when a single draw would cost
  // more than the row.)
  bool dense_when_cheaper = true;
  // On a row scored whole, the keys scoring more than negligible_nats below
  // the head's largest score form one tail group (above). At 20 nats the
  // group's proposals are e^{−20}·|C_i| per draw at most (the row's mass is
  // at least e^{largest}): too rare to cost anything, while a key 20 nats
  // down already is 2·10^−9 of the head's mass, so hardly any key of a
  // peaked row is weighed that would not matter. (When no key of the row
  // reaches that threshold, its own largest score is the threshold.)
  float negligible_nats = 20.0f;
};

// Work done while sampling, summed over the queries of a call.
struct SamplingStatistics {
  double samples = 0;
  double tail_members = 0;  // tail keys scored (tail proposals; binomial: step 3; a dense row: its tail, once)
  double tail_winners = 0;  // samples whose key came from the tail

  double tail_members_per_sample() const { return samples > 0 ? tail_members / samples : 0.0; }
  SamplingStatistics& operator+=(const SamplingStatistics& other);
};

// Consecutive queries of a head whose whole rows are scored together
// (for_each_query_by_blocks hands out whole blocks).
inline constexpr int64_t kScoreBlockQueries = 64;

// Draws samples for one query at a time. Not thread-safe: use one per thread.
// q and k are the index's queries and keys, [heads, T, d] contiguous (the
// [B, H, T, d] tensors the index was built from).
class LazyGumbelSampler {
 public:
  LazyGumbelSampler(const KeyIndex& index, const float* q, const float* k, SamplerOptions options = {});
  // Not copyable: tail_bounds_ may point into the sampler's own buffer.
  LazyGumbelSampler(const LazyGumbelSampler&) = delete;
  LazyGumbelSampler& operator=(const LazyGumbelSampler&) = delete;

  // Reads the query's head and tail groups from the index and prepares the
  // head's softmax (or the whole row's, see dense_when_cheaper, given the
  // number of draws planned); draw() then samples for this query.
  void start_query(int64_t head, int64_t query, int64_t planned_draws = 1);
  // One exact sample j ~ A_i: a key position in C_i.
  int32_t draw(CounterRng& rng);
  // count independent samples: the same as count calls of draw(rng), but the
  // rejection tail proposes a few ahead (and so draws a few more numbers
  // from rng after the last sample).
  void draw(CounterRng& rng, int64_t count, int32_t* samples);

  const SamplingStatistics& statistics() const { return statistics_; }

 private:
  struct Candidate {
    int32_t key;
    double perturbed_score;  // S_ij + G_j
  };
  struct NumberedGroup {
    int64_t number;  // the index's number for the group
    TailGroup group;
  };
  // A proposal of the rejection tail: a head member (group < 0), or a tail
  // member with the uniform that decides its acceptance.
  struct Proposal {
    int32_t key;
    int32_t group = -1;
    double acceptance = 0.0;
  };
  static constexpr int kLookahead = 4;  // proposals drawn ahead by draw(rng, count, …)

  // The weighed keys of queries [first_query, first_query + queries) of one
  // head, with their scaled scores, in position order: those scoring at
  // least the query's threshold, the head's largest score − negligible_nats.
  struct WeighedBlock {
    int64_t head = -1, first_query = -1, queries = 0;
    std::vector<float> thresholds;
    std::vector<int64_t> counts;
    std::vector<std::vector<int32_t>> keys;
    std::vector<std::vector<float>> scores;
    std::vector<float> chunk_scores;  // one chunk of keys scored against every query of the block
  };
  static constexpr int64_t kScoredKeysPerChunk = 1024;

  void prepare_softmax(std::span<const int32_t> keys, std::span<const float> scores);
  void prepare_proposal_masses();
  // Scores the whole row (weighed_keys) and splits it into the keys weighed
  // and the group of negligible ones.
  void prepare_whole_row(int64_t tail);
  // How many keys the current query's row of the weighed block holds; the
  // block is computed first if the one held is another.
  int64_t weighed_keys();
  void weigh_block();
  // Weighs the current query's row by its own largest score, key by key:
  // for a row none of whose keys reaches its threshold, as
  // only rounding different from the index's could make.
  int64_t weigh_from_largest();
  double largest_key_norm();  // of the current head
  size_t draw_position(CounterRng& rng) const;  // a position of softmax_keys_, by its weight
  size_t position_at(double place) const;       // the position at place in [0, 1) of the running weights
  Candidate draw_from_head(CounterRng& rng) const;
  Candidate draw_from_head_per_candidate(CounterRng& rng) const;
  int32_t draw_by_rejection(CounterRng& rng);
  Proposal propose(CounterRng& rng);
  bool accept(const Proposal& proposal);  // scores a tail proposal
  void count_sample(const Proposal& proposal);  // an accepted one
  // The rank-th key of a scored row's negligible group, in position order.
  int32_t negligible_key(int64_t rank) const;
  // The tail member at a point in [0, tail_mass_) of the groups' running masses.
  Proposal tail_member_at(double point) const;
  // Steps 2–3 for one group: replaces best by a member whose S + G beats it, if any.
  void draw_group_binomially(const NumberedGroup& group, CounterRng& rng, Candidate& best);
  float score(int32_t key) const;

  const KeyIndex& index_;
  const float* queries_;
  const float* keys_;
  const SamplerOptions options_;

  int64_t head_ = 0, query_ = 0;
  const float* query_vector_ = nullptr;
  Neighbours neighbours_;
  // The softmax drawn from directly: over the head N_i, or, when dense_,
  // over the weighed keys of the scored row (weighed_block_).
  bool dense_ = false;
  std::span<const int32_t> softmax_keys_;
  // Drawing from it takes a running sum over chunks of weights, then one
  // within the chunk: no running sum per weight, whose additions would each
  // wait for the one before (a dense row has thousands).
  static constexpr int64_t kWeightsPerChunk = 64;
  std::vector<float> weights_;                   // exp(S_ij − max S)
  std::vector<double> cumulative_chunk_weight_;  // running sums of weights_' chunks
  double log_partition_ = 0.0;                   // LSE = log Σ e^{S_ij}
  float negligible_bound_ = 0.0f;  // a scored row's group's bound: its threshold and rounding slack
  int32_t negligible_count_ = 0;   // and its size
  WeighedBlock weighed_block_;
  std::vector<double> largest_key_norms_;  // per head, once computed (else negative)
  TailBoundsBuffer tail_bounds_buffer_;
  TailBounds tail_bounds_;                  // every tail group's bound and size, in the index's order
  std::vector<NumberedGroup> tail_groups_;  // binomial tail only: by decreasing bound
  int64_t tail_size_ = 0;                   // |C_i| − |N_i|
  // The proposal's masses, relative to e^S, S = max(LSE, largest bound) (in
  // float): the head's e^{LSE − S}; per group the mass m_g >= e^{b_g − S} of
  // each member and the running sums of |g|·m_g, whose total is about U·e^{−S}.
  float shift_ = 0.0f;
  double head_mass_ = 0.0, tail_mass_ = 0.0;
  std::vector<float> member_masses_;
  std::vector<double> cumulative_group_masses_;
  std::vector<int32_t> members_;
  // The head of a dense row, marked (a stamp per key, so that marking the
  // next row's head needs no clearing), for counting tail winners.
  std::vector<uint32_t> stamps_;
  uint32_t stamp_ = 0;
  SamplingStatistics statistics_;
};

// Calls draw(sampler, head, query) for every query of every head of the
// index, with one sampler per thread, in parallel over blocks of
// kScoreBlockQueries consecutive queries of a head: a thread takes a block
// whole and in order, so that which rows a block scores together, and so
// the scores, do not depend on the thread count. Returns the work done.
template <class DrawQuery>
SamplingStatistics for_each_query_by_blocks(const KeyIndex& index, const float* q, const float* k,
                                            SamplerOptions options, DrawQuery&& draw) {
  const int64_t time = index.time(), blocks = (time + kScoreBlockQueries - 1) / kScoreBlockQueries;
  SamplingStatistics total;
#pragma omp parallel if (index.heads() * time > 1)
  {
    LazyGumbelSampler sampler(index, q, k, options);
    // Causal rows differ in cost (tail size grows with i): blocks one at a time.
#pragma omp for schedule(dynamic, 1)
    for (int64_t item = 0; item < index.heads() * blocks; ++item) {
      const int64_t head = item / blocks, first = item % blocks * kScoreBlockQueries;
      for (int64_t query = first; query < std::min(first + kScoreBlockQueries, time); ++query)
        draw(sampler, head, query);
    }
    // Counts are whole numbers in doubles: their sum is exact in any order.
#pragma omp critical
    total += sampler.statistics();
  }
  return total;
}

// Draws samples_per_query samples for every query of every head of the
// index, in parallel over queries, into samples[(h·T + i)·L + l]. Adds the
// work done to *statistics unless it is null.
void draw_attention_samples(const KeyIndex& index, const float* q, const float* k, int64_t samples_per_query,
                            const SamplingKey& key, SampleStream stream, int32_t* samples,
                            SamplingStatistics* statistics, SamplerOptions options = {});

}  // namespace knnformer::attention
