#pragma once
// Lazy Gumbel sampling (Mussmann, Levy, Ermon, UAI 2017; DESIGN.md §4): exact
// samples j ~ A_i = softmax_j(S_ij) over a query's candidates C_i, at a cost
// of O(k) per query plus O(|C_i|/k) scored tail keys per sample, given a
// KeyIndex that splits C_i into a head N_i and bounded tail groups.
//
// One sample, with the Gumbel-max trick j = argmax_j (S_ij + G_j):
//   1. The head's maximum M = max_{j∈N_i} (S_ij + G_j) and its argmax j*.
//   2. For each tail group with bound b (every member has S_ij <= b), only
//      members with G_j > B = M − b can beat M. Their number is
//      m ~ Binomial(size, P(G > B)), P(G > B) = 1 − exp(−exp(−B)), and given
//      m they are m distinct members chosen uniformly, each with a Gumbel
//      truncated to (B, ∞).
//   3. Each of them is scored, S_ij = s·q_i·k_j; if S_ij + G_j > M it becomes
//      j* and M = S_ij + G_j.
// Steps 2–3 use the running M, not the head's, and visit the groups in order
// of decreasing bound, where winners are likeliest: the groups' Gumbels are
// independent of everything drawn before them, so asking group g only for
// members above the current M is again an exact lazy draw of that group, and
// a member that is not drawn has S + G <= b + B = M and cannot win. A larger
// M only saves tail work.
//
// TailDraw::race (the default) goes further: it draws the tail members of
// all groups in decreasing order of b_g + G_j (b_g the bound of the member's
// group) and stops as soon as that falls to M, so a winner raises the bar
// for every member after it, and a sample whose tail cannot win costs one
// exponential draw however many groups there are. In arrival times
// τ_j = e^{S − b_j − G_j} = E_j·e^{S − b_j}, E_j ~ Exp(1) (S a common shift),
// decreasing b_j + G_j is increasing τ_j, and independent exponential arrival
// times with rates λ_j = e^{b_j − S} arrive as a Poisson race: the next arrival
// comes Exp(1)/Λ later, Λ the sum of the rates of the members not drawn yet,
// and is a member of group g with probability (members left in g)·λ_g/Λ,
// uniform among them. The race stops at the first arrival τ >= t* = e^{S − M};
// a member scored at τ has S_ij + G_j = S_ij − b_g + S − log τ, which beats M
// when τ·e^{b_g − S_ij} < t*, and then becomes the bar. The same joint law of
// members and Gumbels as steps 2–3, with no logarithm per group and none per
// losing member. When the tail holds most of the softmax mass, this cuts the
// tail work several-fold (bench_sampling, tests).
// TailDraw::binomial is steps 2–3 as written, kept as the reference.
//
// Step 1 costs no L·k Gumbel draws. By max-stability, over the head the pair
// (argmax, max) of S_j + G_j is distributed as (j ~ softmax(S over N_i),
// LSE + G) with LSE = log Σ_{N_i} e^{S_j}, G ~ Gumbel(0, 1) independent of
// j. So each sample draws one uniform (an index into the head's cumulative
// softmax weights, computed once per query) and one Gumbel (for the race,
// its e^{−G}: one exponential), exactly as if it had drawn a Gumbel per head
// member. HeadDraw::per_candidate draws the k
// Gumbels literally; it is the reference that the tests compare with and that
// bench_sampling times.
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
#include <cstdint>
#include <span>
#include <vector>

#include "core/rng.h"
#include "layers/attention/key_index.h"

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

enum class HeadDraw {
  max_stable,     // one uniform and one Gumbel per sample (the default)
  per_candidate,  // one Gumbel per head member per sample (the literal algorithm; reference)
};

enum class TailDraw {
  race,      // members of all groups by decreasing b + G, until none can win (the default)
  binomial,  // DESIGN.md §4 steps 2–3 as written (reference)
};

// How far (in nats) the race's shift S may lie above the head's
// log-partition: e^{−500} is far from double's underflow at e^{−745}.
constexpr double kLargestRaceShift = 500.0;

struct SamplerOptions {
  HeadDraw head = HeadDraw::max_stable;
  TailDraw tail = TailDraw::race;
  // Score the whole row C_i once and draw from its exact softmax instead,
  // when the lazy draws of a query would score more than twice as many tail
  // keys as there are (planned draws × E[m] by the binomial law, an upper
  // bound for the race). Loose bounds (the clustered index's Cauchy–Schwarz
  // bounds in high dimension) then cost at most one pass over C_i per query.
  // (A row whose bounds exceed the head's log-partition by more than
  // kLargestRaceShift is always scored whole: the race's arrival times would
  // underflow.)
  bool dense_when_cheaper = true;
};

// Work done while sampling, summed over the queries of a call.
struct SamplingStatistics {
  double samples = 0;
  double tail_members = 0;  // tail keys drawn and scored (step 3; a dense row: its tail, once)
  double tail_winners = 0;  // samples whose key came from the tail

  double tail_members_per_sample() const { return samples > 0 ? tail_members / samples : 0.0; }
  SamplingStatistics& operator+=(const SamplingStatistics& other);
};

// Draws samples for one query at a time. Not thread-safe: use one per thread.
// q and k are the index's queries and keys, [heads, T, d] contiguous (the
// [B, H, T, d] tensors the index was built from).
class LazyGumbelSampler {
 public:
  LazyGumbelSampler(const KeyIndex& index, const float* q, const float* k, SamplerOptions options = {});

  // Reads the query's head and tail groups from the index and prepares the
  // head's softmax (or the whole row's, see dense_when_cheaper, given the
  // number of draws planned); draw() then samples for this query.
  void start_query(int64_t head, int64_t query, int64_t planned_draws = 1);
  // One exact sample j ~ A_i: a key position in C_i.
  int32_t draw(CounterRng& rng);

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
  void prepare_softmax(std::span<const int32_t> keys, std::span<const float> scores);
  void prepare_race();
  double expected_binomial_work() const;  // Σ over groups of E[m] for this query, after prepare_race()
  void prepare_whole_row(int64_t tail);
  size_t draw_position(CounterRng& rng) const;  // a position of softmax_keys_, by its weight
  Candidate draw_from_head(CounterRng& rng) const;
  Candidate draw_from_head_per_candidate(CounterRng& rng) const;
  // The race over the tail, from the head's winner, the stop time t* and the
  // first gap (an Exp(1) before scaling by 1/Λ); returns the sample.
  int32_t race_tail(int32_t head_winner, double stop_time, double first_gap, CounterRng& rng);
  int32_t draw_max_stable_race(CounterRng& rng);  // the default: max-stable head, race tail
  struct RaceMember {
    size_t group;
    int32_t member;
  };
  // The next arrival's member: group g with probability (members left in g)·λ_g/Λ, uniform within it.
  RaceMember draw_race_member(double drawn_rate, uint32_t race, CounterRng& rng);
  double remaining_race_rate() const;  // Λ, summed over the groups
  // Λ before any member is drawn.
  double full_race_rate() const { return cumulative_group_rates_.empty() ? 0.0 : cumulative_group_rates_.back(); }
  // Steps 2–3 for one group: replaces best by a member whose S + G beats it, if any.
  void draw_group_binomially(const NumberedGroup& group, CounterRng& rng, Candidate& best);
  int32_t draw_new_member(size_t group, uint32_t race, CounterRng& rng);
  int32_t member_of(size_t group, int64_t rank) const;  // of tail_groups_[group]
  uint32_t new_stamp();
  float score(int32_t key) const;

  const KeyIndex& index_;
  const float* queries_;
  const float* keys_;
  const SamplerOptions options_;

  int64_t head_ = 0, query_ = 0;
  const float* query_vector_ = nullptr;
  Neighbours neighbours_;
  // The softmax drawn from directly: over the head N_i, or over all of C_i
  // when dense_ (then row_keys_ and row_scores_ hold the row, by position).
  bool dense_ = false;
  std::span<const int32_t> softmax_keys_;
  std::vector<float> weights_;              // exp(S_ij − max S)
  std::vector<double> cumulative_weight_;   // running sums of weights_
  double log_partition_ = 0.0;              // LSE = log Σ e^{S_ij}
  std::vector<int32_t> row_keys_;
  std::vector<float> row_scores_;
  std::vector<NumberedGroup> tail_groups_;  // by decreasing bound for the binomial tail
  int64_t tail_size_ = 0;                   // |C_i| − |N_i|
  // The race's shift S = max(LSE, largest bound); per group the rate
  // λ_g = e^{b_g − S} of each member and the running sums of |g|·λ_g, whose
  // total is Λ before any member is drawn; e^{S − LSE}, which turns the
  // head's e^{−G} into the stop time t*; and the members each group has lost
  // in the current race, reset through the list of groups touched.
  double race_shift_ = 0.0, head_time_scale_ = 0.0;
  std::vector<double> member_rates_, cumulative_group_rates_;
  std::vector<int64_t> drawn_in_group_;
  std::vector<size_t> touched_groups_;
  std::vector<int32_t> members_;
  // A stamp per key marks a set of keys without clearing the last one: the
  // keys drawn in the current race, or the head of a dense row.
  std::vector<uint32_t> stamps_;
  uint32_t stamp_ = 0, head_stamp_ = 0;
  SamplingStatistics statistics_;
};

// Draws samples_per_query samples for every query of every head of the
// index, in parallel over queries, into samples[(h·T + i)·L + l]. Adds the
// work done to *statistics unless it is null.
void draw_attention_samples(const KeyIndex& index, const float* q, const float* k, int64_t samples_per_query,
                            const SamplingKey& key, SampleStream stream, int32_t* samples,
                            SamplingStatistics* statistics, SamplerOptions options = {});

}  // namespace knnformer::attention
