#include "layers/attention/sampling/lazy_gumbel_sampler.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdint>

#include "core/error.h"
#include "core/gemm.h"
#include "core/kernels/sampling.h"
#include "core/kernels/top_k_selection.h"
#include "layers/attention/index/key_index_search.h"

namespace knnformer::attention {

CounterRng query_rng(const SamplingKey& key, SampleStream stream, int64_t head, int64_t query) {
  return CounterRng(key.seed, {key.step, key.micro_step, key.layer, static_cast<uint64_t>(stream),
                               static_cast<uint64_t>(head), static_cast<uint64_t>(query)});
}

SamplingStatistics& SamplingStatistics::operator+=(const SamplingStatistics& other) {
  samples += other.samples;
  tail_members += other.tail_members;
  tail_winners += other.tail_winners;
  return *this;
}

namespace {

// Gumbels truncated to (lower, ∞), many for one bound: G = −log E with E ~
// Exp(1) truncated to (0, e^{−lower}), by the inverse CDF of E as in
// CounterRng::truncated_gumbel, but with the bound's exp and expm1 computed
// once per group instead of once per member.
class TruncatedGumbel {
 public:
  explicit TruncatedGumbel(double lower) : mass_(-std::expm1(-std::exp(-lower))) {}
  // P(G > lower) = 1 − exp(−e^{−lower}), accurate when tiny.
  double mass() const { return mass_; }
  double operator()(CounterRng& rng) const { return -std::log(-std::log1p(-rng.uniform_double() * mass_)); }

 private:
  double mass_;
};

// The sum of count weights in double, in eight independent running sums:
// one chain of dependent additions would wait on each one's latency.
double chunk_total(const float* weights, int64_t count) {
  double partial[8] = {};
  int64_t j = 0;
  for (; j + 8 <= count; j += 8)
    for (int lane = 0; lane < 8; ++lane) partial[lane] += weights[j + lane];
  double total = ((partial[0] + partial[1]) + (partial[2] + partial[3])) +
                 ((partial[4] + partial[5]) + (partial[6] + partial[7]));
  for (; j < count; ++j) total += weights[j];
  return total;
}

// The index of the first running sum above target, clamped to the last
// (kernels::sampling::first_sum_above).
size_t first_sum_above(const std::vector<double>& sums, double target) {
  const int64_t count = static_cast<int64_t>(sums.size());
  return static_cast<size_t>(kernels::sampling::first_sum_above(sums.data(), count, target));
}

}  // namespace

LazyGumbelSampler::LazyGumbelSampler(const KeyIndex& index, const float* q, const float* k, SamplerOptions options)
    : index_(index), queries_(q), keys_(k), options_(options), stamps_(index.time(), 0) {}

void LazyGumbelSampler::start_query(int64_t head, int64_t query, int64_t planned_draws) {
  head_ = head;
  query_ = query;
  query_vector_ = queries_ + (head * index_.time() + query) * index_.dim();
  neighbours_ = index_.neighbours(head, query);
  assert(!neighbours_.keys.empty());
  prepare_softmax(neighbours_.keys, neighbours_.scores);

  tail_bounds_ = index_.tail_bounds(head, query, tail_bounds_buffer_);
  // The binomial tail visits groups of high bound first: they hold the
  // likeliest winners, and a winner raises M, which shrinks the draws of
  // every later group. Rejection takes all groups at once.
  if (options_.tail == TailDraw::binomial) {
    tail_groups_.resize(tail_bounds_.bounds.size());
    for (size_t g = 0; g < tail_groups_.size(); ++g) tail_groups_[g] = {int64_t(g), index_.tail_group(head, query, g)};
    std::stable_sort(tail_groups_.begin(), tail_groups_.end(),
                     [](const NumberedGroup& a, const NumberedGroup& b) { return a.group.bound > b.group.bound; });
  }

  tail_size_ = index_.candidates(query) - static_cast<int64_t>(neighbours_.keys.size());
  prepare_proposal_masses();
  // U/Z_head bounds the tail keys one draw scores (rejection: U/Z; binomial:
  // Σ_g E[m_g] <= Σ_g |g|·e^{b_g − LSE}); infinite when the head's mass underflows.
  const double work_per_draw = tail_mass_ / head_mass_, tail = static_cast<double>(tail_size_);
  const bool cheaper_than_one_draw = work_per_draw >= tail;
  const bool cheaper_than_all_draws =
      options_.dense_when_cheaper && static_cast<double>(planned_draws) * work_per_draw >= 0.5 * tail;
  dense_ = tail_size_ > 0 && (cheaper_than_one_draw || cheaper_than_all_draws);
  if (dense_) prepare_whole_row(tail_size_);
}

void LazyGumbelSampler::prepare_proposal_masses() {
  const std::span<const float> bounds = tail_bounds_.bounds;
  const std::span<const int32_t> sizes = tail_bounds_.sizes;
  const auto groups = static_cast<int64_t>(bounds.size());
  // The members' masses m_g ≈ e^{b_g − S} in float, 8 groups at a time
  // (kernels::sampling::exp_shifted), then raised past their rounding: float's
  // b_g − S is off by up to |b_g − S|·2^−24 <= 87·2^−24, the exp by 1 ulp,
  // so m_g·(1 + 2^−16) >= e^{b_g − S}, which accept() needs. A mass that
  // underflows (b_g < S − 87) leaves its group unproposed; on a lazy row
  // (S − LSE < ln |C_i|) such members hold under |C_i|²·e^{−87} of the row.
  shift_ = static_cast<float>(std::max(log_partition_, double(kernels::selection::largest(bounds.data(), groups))));
  member_masses_.resize(groups);
  kernels::sampling::exp_shifted(bounds.data(), groups, shift_, member_masses_.data());
  constexpr float kRoundedUp = 1.0f + 0x1.0p-16f;
  cumulative_group_masses_.resize(groups);
  double total = 0.0;
  for (int64_t g = 0; g < groups; ++g) {
    member_masses_[g] *= kRoundedUp;
    cumulative_group_masses_[g] = total += double(sizes[g]) * double(member_masses_[g]);
  }
  tail_mass_ = total;
  head_mass_ = std::exp(log_partition_ - double(shift_));
}

void LazyGumbelSampler::prepare_softmax(std::span<const int32_t> keys, std::span<const float> scores) {
  // Shifted by the largest score, so that no exp overflows.
  const int64_t size = static_cast<int64_t>(scores.size());
  const float largest = kernels::selection::largest(scores.data(), size);
  weights_.resize(size);
  kernels::sampling::exp_shifted(scores.data(), size, largest, weights_.data());
  const int64_t chunks = (size + kWeightsPerChunk - 1) / kWeightsPerChunk;
  cumulative_chunk_weight_.resize(chunks);
  double total = 0.0;
  for (int64_t c = 0; c < chunks; ++c) {
    const int64_t begin = c * kWeightsPerChunk;
    total += chunk_total(weights_.data() + begin, std::min(kWeightsPerChunk, size - begin));
    cumulative_chunk_weight_[c] = total;
  }
  softmax_keys_ = keys;
  log_partition_ = largest + std::log(total);
}

void LazyGumbelSampler::prepare_whole_row(int64_t tail) {
  // C_i is N_i and its tail: every candidate in position order, the head's again too.
  statistics_.tail_members += static_cast<double>(tail);
  int64_t weighed = weighed_keys();
  if (weighed == 0) weighed = weigh_from_largest();
  const WeighedBlock& block = weighed_block_;
  const int64_t row = query_ - block.first_query;
  prepare_softmax({block.keys[row].data(), static_cast<size_t>(weighed)},
                  {block.scores[row].data(), static_cast<size_t>(weighed)});
  negligible_count_ = static_cast<int32_t>(index_.candidates(query_) - weighed);
  // A proposal of the group is scored again by score(), whose rounding may
  // differ from the product's that weighed it.
  const double slack = key_search::score_rounding_slack(index_.dim(), index_.scale(),
                                                        key_search::norm(query_vector_, index_.dim()),
                                                        largest_key_norm());
  negligible_bound_ = key_search::round_up_to_float(double(block.thresholds[row]) + slack);
  tail_bounds_ = {};
  if (negligible_count_ > 0) tail_bounds_ = {.bounds = {&negligible_bound_, 1}, .sizes = {&negligible_count_, 1}};
  prepare_proposal_masses();
  // Mark the head, so that draws can tell tail winners.
  if (++stamp_ == 0) {  // wrapped around: forget every mark
    std::fill(stamps_.begin(), stamps_.end(), 0);
    stamp_ = 1;
  }
  for (const int32_t key : neighbours_.keys) stamps_[key] = stamp_;
}

int64_t LazyGumbelSampler::weighed_keys() {
  const WeighedBlock& block = weighed_block_;
  const bool held = block.head == head_ && query_ >= block.first_query &&
                    query_ < block.first_query + block.queries;
  if (!held) weigh_block();
  return block.counts[query_ - block.first_query];
}

void LazyGumbelSampler::weigh_block() {
  // From the current query to the end of its block: the block's earlier
  // rows have been drawn (for_each_query_by_blocks draws a block in order).
  WeighedBlock& block = weighed_block_;
  const int64_t time = index_.time(), dim = index_.dim();
  block.head = head_;
  block.first_query = query_;
  block.queries = std::min(kScoreBlockQueries - query_ % kScoreBlockQueries, time - query_);
  block.thresholds.resize(block.queries);
  block.counts.assign(block.queries, 0);
  block.keys.resize(block.queries);
  block.scores.resize(block.queries);
  // A key more than negligible_nats below the head's largest score holds
  // under e^{−negligible_nats} of the head's mass. A head that is no search
  // (KeyIndex::searches_head) may lie far below the row's largest, so the
  // threshold then rises with the row's largest score so far, chunk by
  // chunk: a key left out was below the threshold of its time, and so below
  // the final one, which bounds the negligible group.
  const bool from_row_largest = !index_.searches_head();
  for (int64_t row = 0; row < block.queries; ++row) {
    const std::span<const float> head_scores = index_.neighbours(head_, query_ + row).scores;
    block.thresholds[row] = kernels::selection::largest(head_scores.data(), static_cast<int64_t>(head_scores.size())) -
                            options_.negligible_nats;
  }
  const int64_t width = index_.candidates(query_ + block.queries - 1);
  block.chunk_scores.resize(block.queries * kScoredKeysPerChunk);
  for (int64_t first_key = 0; first_key < width; first_key += kScoredKeysPerChunk) {
    const int64_t chunk = std::min(kScoredKeysPerChunk, width - first_key);
    // Inside the samplers' parallel loops oneDNN runs this on the calling thread alone.
    gemm::sgemm(false, true, block.queries, chunk, dim, index_.scale(), query_vector_, dim,
                keys_ + (head_ * time + first_key) * dim, dim, 0.0f, block.chunk_scores.data(), chunk);
    for (int64_t row = 0; row < block.queries; ++row) {
      const int64_t row_keys = std::clamp(index_.candidates(query_ + row) - first_key, int64_t{0}, chunk);
      const float* row_scores = block.chunk_scores.data() + row * chunk;
      if (from_row_largest && row_keys > 0)
        block.thresholds[row] = std::max(block.thresholds[row], kernels::selection::largest(row_scores, row_keys) -
                                                                    options_.negligible_nats);
      const int64_t kept = block.counts[row];
      if (static_cast<int64_t>(block.keys[row].size()) < kept + row_keys + kernels::selection::kSelectionSlack) {
        block.keys[row].resize(kept + row_keys + kernels::selection::kSelectionSlack);
        block.scores[row].resize(kept + row_keys + kernels::selection::kSelectionSlack);
      }
      block.counts[row] += kernels::selection::keep_offers_above(row_scores, row_keys, first_key,
                                                                block.thresholds[row], INT32_MAX,
                                                                block.scores[row].data() + kept,
                                                                block.keys[row].data() + kept);
    }
  }
  if (!from_row_largest) return;
  // Keys weighed before a later chunk raised their row's threshold may lie under it now.
  for (int64_t row = 0; row < block.queries; ++row)
    block.counts[row] = kernels::selection::compact_above(block.scores[row].data(), block.keys[row].data(),
                                                          block.counts[row], block.thresholds[row], INT32_MAX);
}

int64_t LazyGumbelSampler::weigh_from_largest() {
  const auto candidates = index_.candidates(query_);
  std::vector<float> row_scores(candidates);
  for (int64_t key = 0; key < candidates; ++key) row_scores[key] = score(static_cast<int32_t>(key));
  WeighedBlock& block = weighed_block_;
  const int64_t row = query_ - block.first_query;
  block.thresholds[row] = kernels::selection::largest(row_scores.data(), candidates);
  block.keys[row].resize(candidates + kernels::selection::kSelectionSlack);
  block.scores[row].resize(candidates + kernels::selection::kSelectionSlack);
  return block.counts[row] = kernels::selection::keep_offers_above(row_scores.data(), candidates, 0,
                                                                   block.thresholds[row], INT32_MAX,
                                                                   block.scores[row].data(), block.keys[row].data());
}

double LazyGumbelSampler::largest_key_norm() {
  if (largest_key_norms_.empty()) largest_key_norms_.assign(index_.heads(), -1.0);
  double& largest = largest_key_norms_[head_];
  if (largest >= 0.0) return largest;
  const int64_t time = index_.time(), dim = index_.dim();
  largest = 0.0;
  for (int64_t key = 0; key < time; ++key)
    largest = std::max(largest, key_search::norm(keys_ + (head_ * time + key) * dim, dim));
  return largest;
}

size_t LazyGumbelSampler::draw_position(CounterRng& rng) const { return position_at(rng.uniform_double()); }

size_t LazyGumbelSampler::position_at(double place) const {
  // The chunk whose stretch of the running sums holds the point, then the
  // member within it by its own running sum. Where rounding leaves the point
  // past the chunk's last member, that member is taken: a bias of the order
  // of double's rounding of the chunk's weight.
  const double point = place * cumulative_chunk_weight_.back();
  const size_t chunk = first_sum_above(cumulative_chunk_weight_, point);
  double left = point - (chunk > 0 ? cumulative_chunk_weight_[chunk - 1] : 0.0);
  const size_t begin = chunk * kWeightsPerChunk;
  const size_t last = std::min(begin + kWeightsPerChunk, weights_.size()) - 1;
  for (size_t j = begin; j < last; ++j)
    if ((left -= weights_[j]) < 0.0) return j;
  return last;
}

LazyGumbelSampler::Candidate LazyGumbelSampler::draw_from_head(CounterRng& rng) const {
  // Max-stability: argmax ~ softmax over the head, max ~ LSE + Gumbel, independent.
  const int32_t key = softmax_keys_[draw_position(rng)];
  return {key, log_partition_ + rng.gumbel()};
}

LazyGumbelSampler::Candidate LazyGumbelSampler::draw_from_head_per_candidate(CounterRng& rng) const {
  Candidate best{-1, -HUGE_VAL};
  for (size_t j = 0; j < neighbours_.keys.size(); ++j) {
    const double perturbed = neighbours_.scores[j] + rng.gumbel();
    if (perturbed > best.perturbed_score) best = {neighbours_.keys[j], perturbed};
  }
  return best;
}

float LazyGumbelSampler::score(int32_t key) const {
  const int64_t dim = index_.dim();
  return index_.scale() * kernels::sampling::dot(query_vector_, keys_ + (head_ * index_.time() + key) * dim, dim);
}

int32_t LazyGumbelSampler::draw(CounterRng& rng) {
  // A scored row's negligible group is drawn by rejection whatever the option.
  if (dense_ || options_.tail == TailDraw::rejection) return draw_by_rejection(rng);
  statistics_.samples += 1;
  Candidate best = options_.head == HeadDraw::max_stable ? draw_from_head(rng) : draw_from_head_per_candidate(rng);
  const int32_t head_winner = best.key;
  for (const NumberedGroup& group : tail_groups_) draw_group_binomially(group, rng, best);
  statistics_.tail_winners += best.key != head_winner;
  return best.key;
}

void LazyGumbelSampler::draw(CounterRng& rng, int64_t count, int32_t* samples) {
  if (count <= 0) return;
  if (!dense_ && options_.tail != TailDraw::rejection) {
    for (int64_t l = 0; l < count; ++l) samples[l] = draw(rng);
    return;
  }
  // The proposals in order, as draw_by_rejection makes them, kLookahead
  // ahead of the one being decided: their key rows are fetched meanwhile.
  Proposal ahead[kLookahead];
  for (Proposal& proposal : ahead) proposal = propose(rng);
  for (int64_t l = 0, next = 0;; next = (next + 1) % kLookahead) {
    if (accept(ahead[next])) {
      samples[l++] = ahead[next].key;
      count_sample(ahead[next]);
      if (l == count) return;
    }
    ahead[next] = propose(rng);
  }
}

int32_t LazyGumbelSampler::draw_by_rejection(CounterRng& rng) {
  for (;;) {
    const Proposal proposal = propose(rng);
    if (!accept(proposal)) continue;
    count_sample(proposal);
    return proposal.key;
  }
}

void LazyGumbelSampler::count_sample(const Proposal& proposal) {
  statistics_.samples += 1;
  // A scored row weighs keys outside the index's head too: the stamps tell.
  statistics_.tail_winners += dense_ ? stamps_[proposal.key] != stamp_ : proposal.group >= 0;
}

LazyGumbelSampler::Proposal LazyGumbelSampler::propose(CounterRng& rng) {
  // One uniform point on the running masses: the head's first, then the
  // groups'. In the head, the same point rescaled picks the member, unless
  // the head's share is so small that the point's rounding would show at
  // that scale (a share below 2^−20; never for a lazy row with
  // dense_when_cheaper, whose share is above 1/(1 + 2·|C_i|/L)).
  const double total = head_mass_ + tail_mass_, point = rng.uniform_double() * total;
  if (point < head_mass_ || tail_mass_ == 0.0) {  // (a uniform may round to 1: then point = total)
    if (options_.head == HeadDraw::per_candidate && !dense_) return {.key = draw_from_head_per_candidate(rng).key};
    const double place = head_mass_ >= 0x1.0p-20 * total ? point / head_mass_ : rng.uniform_double();
    return {.key = softmax_keys_[position_at(place)]};
  }
  Proposal proposal = tail_member_at(point - head_mass_);
  kernels::sampling::prefetch(keys_ + (head_ * index_.time() + proposal.key) * index_.dim(), index_.dim());
  proposal.acceptance = rng.uniform_double();
  return proposal;
}

bool LazyGumbelSampler::accept(const Proposal& proposal) {
  if (proposal.group < 0) return true;
  statistics_.tail_members += 1;
  // Proposed with mass m_g >= e^{b_g − S} >= e^{S_ij − S}, accepted with
  // probability e^{S_ij − S}/m_g <= 1: P(propose j and accept) ∝ e^{S_ij},
  // however m_g was rounded.
  const double member_mass = member_masses_[proposal.group];
  return proposal.acceptance * member_mass < std::exp(double(score(proposal.key)) - double(shift_));
}

int32_t LazyGumbelSampler::negligible_key(int64_t rank) const {
  // The rank-th position that is not weighed: past each weighed key at or
  // before it, one further. Proposed about e^{−negligible_nats}·|C_i| times
  // per draw: one pass over the weighed keys is cheap enough.
  int32_t key = static_cast<int32_t>(rank);
  for (const int32_t weighed : softmax_keys_) {
    if (weighed > key) break;
    ++key;
  }
  return key;
}

LazyGumbelSampler::Proposal LazyGumbelSampler::tail_member_at(double point) const {
  // The point falls in group g's stretch of the running sums, |g|·m_g
  // long, and its place there, uniform given g, in one member's stretch.
  // (Rounding moves the point by about 2^−53 of the total, a fraction
  // 2^−53·total/m_g of a member's stretch: negligible for any group that is
  // ever drawn.)
  const size_t g = cumulative_group_masses_.size() > 1 ? first_sum_above(cumulative_group_masses_, point) : 0;
  const double stretch_start = g > 0 ? cumulative_group_masses_[g - 1] : 0.0;
  // Clamped in double: a point at the total, or in a last group whose mass
  // underflowed, gives a place past the end, infinite or NaN.
  const double place = (point - stretch_start) / double(member_masses_[g]);
  const auto last = static_cast<double>(tail_bounds_.sizes[g] - 1);
  const int64_t rank = place > 0.0 ? static_cast<int64_t>(std::min(place, last)) : 0;
  const int32_t key = dense_ ? negligible_key(rank) : index_.tail_member(head_, query_, static_cast<int64_t>(g), rank);
  return {.key = key, .group = static_cast<int32_t>(g)};
}

void LazyGumbelSampler::draw_group_binomially(const NumberedGroup& numbered, CounterRng& rng, Candidate& best) {
  const TailGroup& group = numbered.group;
  const TruncatedGumbel gumbel_above(best.perturbed_score - group.bound);
  const int64_t count = static_cast<int64_t>(rng.binomial(group.size, gumbel_above.mass()));
  if (count == 0) return;
  members_.resize(count);
  index_.sample_tail_group(head_, query_, numbered.number, count, rng, members_.data());
  for (const int32_t member : members_) {
    const double perturbed = score(member) + gumbel_above(rng);
    if (perturbed > best.perturbed_score) best = {member, perturbed};
  }
  statistics_.tail_members += count;
}

void draw_attention_samples(const KeyIndex& index, const float* q, const float* k, int64_t samples_per_query,
                            const SamplingKey& key, SampleStream stream, int32_t* samples,
                            SamplingStatistics* statistics, SamplerOptions options) {
  require(samples_per_query >= 1, "draw_attention_samples: samples per query must be at least 1, got " +
                                      std::to_string(samples_per_query));
  const SamplingStatistics total =
      for_each_query_by_blocks(index, q, k, options, [&](LazyGumbelSampler& sampler, int64_t head, int64_t query) {
        sampler.start_query(head, query, samples_per_query);
        CounterRng rng = query_rng(key, stream, head, query);
        sampler.draw(rng, samples_per_query, samples + (head * index.time() + query) * samples_per_query);
      });
  if (statistics) *statistics += total;
}

}  // namespace knnformer::attention
