#include "layers/attention/lazy_gumbel_sampler.h"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "core/error.h"
#include "layers/attention/gumbel_kernels.h"

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

// The index of the first running sum above target (std::upper_bound),
// clamped to the last for a target that rounding left at the total: the
// number of sums at or below it, found in fixed steps that compile to
// conditional moves, as every sample searches at a random target.
size_t first_sum_above(const std::vector<double>& sums, double target) {
  const auto at_or_below = [&](size_t m) { return sums[m] <= target; };
  size_t last = 0, length = sums.size();  // the sums at or below the target end in [last, last + length)
  while (length > 1) {
    const size_t half = length / 2;
    last = at_or_below(last + half) ? last + half : last;
    length -= half;
  }
  return std::min(last + (at_or_below(last) ? 1 : 0), sums.size() - 1);
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

  tail_groups_.resize(index_.tail_group_count(head, query));
  for (size_t g = 0; g < tail_groups_.size(); ++g) tail_groups_[g] = {int64_t(g), index_.tail_group(head, query, g)};
  // The binomial tail visits groups of high bound first: they hold the
  // likeliest winners, and a winner raises M, which shrinks the draws of
  // every later group. The race takes all groups at once.
  if (options_.tail == TailDraw::binomial)
    std::stable_sort(tail_groups_.begin(), tail_groups_.end(),
                     [](const NumberedGroup& a, const NumberedGroup& b) { return a.group.bound > b.group.bound; });

  tail_size_ = index_.candidates(query) - static_cast<int64_t>(neighbours_.keys.size());
  prepare_race();
  const bool cheaper = options_.dense_when_cheaper && static_cast<double>(planned_draws) * expected_binomial_work() >=
                                                          2.0 * static_cast<double>(tail_size_);
  dense_ = tail_size_ > 0 && (cheaper || race_shift_ - log_partition_ > kLargestRaceShift);
  if (dense_) prepare_whole_row(tail_size_);
}

void LazyGumbelSampler::prepare_race() {
  race_shift_ = log_partition_;
  for (const auto& [number, group] : tail_groups_) race_shift_ = std::max(race_shift_, double(group.bound));
  const size_t groups = tail_groups_.size();
  member_rates_.resize(groups);
  cumulative_group_rates_.resize(groups);
  double total = 0.0;
  for (size_t g = 0; g < groups; ++g) {
    member_rates_[g] = std::exp(double(tail_groups_[g].group.bound) - race_shift_);
    cumulative_group_rates_[g] = total += double(tail_groups_[g].group.size) * member_rates_[g];
  }
  head_time_scale_ = std::exp(race_shift_ - log_partition_);
  drawn_in_group_.assign(groups, 0);
  touched_groups_.clear();
}

void LazyGumbelSampler::prepare_softmax(std::span<const int32_t> keys, std::span<const float> scores) {
  // Shifted by the largest score, so that no exp overflows.
  const int64_t size = static_cast<int64_t>(scores.size());
  const float largest = *std::max_element(scores.begin(), scores.end());
  weights_.resize(size);
  gumbel_kernels::exp_shifted(scores.data(), size, largest, weights_.data());
  cumulative_weight_.resize(size);
  double total = 0.0;
  for (int64_t j = 0; j < size; ++j) cumulative_weight_[j] = total += weights_[j];
  softmax_keys_ = keys;
  log_partition_ = largest + std::log(total);
}

double LazyGumbelSampler::expected_binomial_work() const {
  // E[m] of a group = size·c/(1 + c), c = e^{b − LSE} (the head maximum M is
  // LSE + Gumbel), with e^{b − LSE} = λ_g·e^{S − LSE} from prepare_race().
  double work = 0.0;
  for (size_t g = 0; g < tail_groups_.size(); ++g) {
    const double c = member_rates_[g] * head_time_scale_;
    work += static_cast<double>(tail_groups_[g].group.size) * c / (1.0 + c);
  }
  return work;
}

void LazyGumbelSampler::prepare_whole_row(int64_t tail) {
  // C_i is N_i and its tail: score every candidate in position order (the
  // rows of K in sequence, which the cache prefetches), the head's again too.
  const int64_t candidates = index_.candidates(query_);
  row_keys_.resize(candidates);
  row_scores_.resize(candidates);
  for (int64_t j = 0; j < candidates; ++j) {
    row_keys_[j] = static_cast<int32_t>(j);
    row_scores_[j] = score(static_cast<int32_t>(j));
  }
  statistics_.tail_members += static_cast<double>(tail);
  prepare_softmax(row_keys_, row_scores_);
  // Mark the head, so that draws can tell tail winners.
  head_stamp_ = new_stamp();
  for (const int32_t key : neighbours_.keys) stamps_[key] = head_stamp_;
}

uint32_t LazyGumbelSampler::new_stamp() {
  if (++stamp_ == 0) {  // wrapped around: forget every mark
    std::fill(stamps_.begin(), stamps_.end(), 0);
    stamp_ = 1;
  }
  return stamp_;
}

size_t LazyGumbelSampler::draw_position(CounterRng& rng) const {
  return first_sum_above(cumulative_weight_, rng.uniform_double() * cumulative_weight_.back());
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
  return index_.scale() * gumbel_kernels::dot(query_vector_, keys_ + (head_ * index_.time() + key) * dim, dim);
}

int32_t LazyGumbelSampler::draw(CounterRng& rng) {
  statistics_.samples += 1;
  if (dense_) {
    const int32_t key = softmax_keys_[draw_position(rng)];
    statistics_.tail_winners += stamps_[key] != head_stamp_;
    return key;
  }
  if (options_.tail == TailDraw::race) {
    if (options_.head == HeadDraw::max_stable) return draw_max_stable_race(rng);
    const Candidate head = draw_from_head_per_candidate(rng);
    const double first_gap = tail_size_ > 0 ? rng.exponential() : 0.0;
    return race_tail(head.key, std::exp(race_shift_ - head.perturbed_score), first_gap, rng);
  }
  Candidate best = options_.head == HeadDraw::max_stable ? draw_from_head(rng) : draw_from_head_per_candidate(rng);
  const int32_t head_winner = best.key;
  for (const NumberedGroup& group : tail_groups_) draw_group_binomially(group, rng, best);
  statistics_.tail_winners += best.key != head_winner;
  return best.key;
}

int32_t LazyGumbelSampler::draw_max_stable_race(CounterRng& rng) {
  // Max-stability gives the head's winner and, independently, E = e^{−(M − LSE)}
  // ~ Exp(1), so t* = E·e^{S − LSE}. The first arrival comes at X/Λ, X ~ Exp(1),
  // and the tail takes part only if X < c·E, c = Λ·e^{S − LSE}: probability
  // c/(1 + c). One uniform decides that; only then are X and E drawn, from
  // their law given X < c·E: X ~ Exp(1 + 1/c), and E = X/c + Exp(1) (E's
  // excess over X/c is memoryless). The same joint law as drawing E and X
  // first, without their two logarithms in the samples the tail cannot win.
  const int32_t head_winner = softmax_keys_[draw_position(rng)];
  const double c = full_race_rate() * head_time_scale_;
  if (tail_size_ == 0 || c <= 0.0 || rng.uniform_double() * (1.0 + c) < 1.0) return head_winner;
  const double first_gap = rng.exponential() / (1.0 + 1.0 / c);
  const double head_exponential = first_gap / c + rng.exponential();
  return race_tail(head_winner, head_exponential * head_time_scale_, first_gap, rng);
}

int32_t LazyGumbelSampler::race_tail(int32_t head_winner, double stop_time, double first_gap, CounterRng& rng) {
  int32_t winner = head_winner;
  const uint32_t race = new_stamp();
  for (const size_t g : touched_groups_) drawn_in_group_[g] = 0;
  touched_groups_.clear();
  const double full_rate = full_race_rate();
  double time = 0.0, drawn_rate = 0.0;
  double gap = first_gap;  // Exp(1) (or the caller's conditioned draw), scaled by 1/Λ when used
  for (int64_t drawn = 0; drawn < tail_size_; ++drawn) {
    // Λ by subtraction while that loses at most a bit, else summed afresh.
    const double rate = drawn_rate <= 0.5 * full_rate ? full_rate - drawn_rate : remaining_race_rate();
    time += gap / rate;
    if (time >= stop_time) break;  // neither this member nor any later one can win
    const auto [g, member] = draw_race_member(drawn_rate, race, rng);
    // The next gap is drawn while the member's key row is fetched: the
    // logarithm overlaps the cache miss (the same draws in the same order).
    gumbel_kernels::prefetch(keys_ + (head_ * index_.time() + member) * index_.dim(), index_.dim());
    if (drawn + 1 < tail_size_) gap = rng.exponential();
    if (drawn_in_group_[g]++ == 0) touched_groups_.push_back(g);
    drawn_rate += member_rates_[g];
    statistics_.tail_members += 1;
    // The time at which this member's S + G would equal the bar, if it is earlier.
    const double member_time = time * std::exp(double(tail_groups_[g].group.bound) - double(score(member)));
    if (member_time < stop_time) {
      winner = member;
      stop_time = member_time;
    }
  }
  statistics_.tail_winners += winner != head_winner;
  return winner;
}

LazyGumbelSampler::RaceMember LazyGumbelSampler::draw_race_member(double drawn_rate, uint32_t race,
                                                                  CounterRng& rng) {
  const double full_rate = full_race_rate();
  const auto stamp = [&](size_t g, int32_t member) {
    stamps_[member] = race;
    return RaceMember{g, member};
  };
  if (drawn_rate <= 0.5 * full_rate) {
    // Draw from the law of the full tail (group ∝ |g|·λ_g, then uniform) until
    // the member is one not drawn yet: that is the law of those left, and at
    // least half the rate is left, so it takes fewer than two tries on average.
    // One uniform point on the running sums picks both: it falls in group g's
    // stretch, |g|·λ_g long, and its place there, uniform given g, in the
    // stretch λ_g of one member. (Rounding moves the point by about 2^−53·Λ,
    // the fraction 2^−53·Λ/λ_g of a member's stretch: negligible for any
    // group that is ever drawn.)
    for (;;) {
      const double target = rng.uniform_double() * full_rate;
      const size_t g = tail_groups_.size() > 1 ? first_sum_above(cumulative_group_rates_, target) : 0;
      const double stretch_start = g > 0 ? cumulative_group_rates_[g - 1] : 0.0;
      const int64_t rank = std::clamp<int64_t>(static_cast<int64_t>((target - stretch_start) / member_rates_[g]), 0,
                                               tail_groups_[g].group.size - 1);
      const int32_t member = member_of(g, rank);
      if (stamps_[member] != race) return stamp(g, member);
    }
  }
  // Most of the rate is drawn: pick the group by what is left in each.
  const double target = rng.uniform_double() * remaining_race_rate();
  double running = 0.0;
  size_t chosen = 0;
  for (size_t g = 0; g < tail_groups_.size(); ++g) {
    const int64_t left = tail_groups_[g].group.size - drawn_in_group_[g];
    if (left == 0) continue;
    chosen = g;  // the last group with members left, where rounding may leave the target
    running += double(left) * member_rates_[g];
    if (target < running) break;
  }
  return {chosen, draw_new_member(chosen, race, rng)};
}

double LazyGumbelSampler::remaining_race_rate() const {
  double rate = 0.0;
  for (size_t g = 0; g < tail_groups_.size(); ++g)
    rate += double(tail_groups_[g].group.size - drawn_in_group_[g]) * member_rates_[g];
  return rate;
}

int32_t LazyGumbelSampler::draw_new_member(size_t group, uint32_t race, CounterRng& rng) {
  // Uniform over the members not drawn yet in this race: redraw the drawn ones.
  const uint64_t size = static_cast<uint64_t>(tail_groups_[group].group.size);
  int32_t member;
  do member = member_of(group, static_cast<int64_t>(rng.below(size)));
  while (stamps_[member] == race);
  stamps_[member] = race;
  return member;
}

int32_t LazyGumbelSampler::member_of(size_t group, int64_t rank) const {
  const auto& [number, tail_group] = tail_groups_[group];
  return tail_group.members ? tail_group.members[rank] : index_.tail_member(head_, query_, number, rank);
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
  const int64_t time = index.time(), queries = index.heads() * time;
  SamplingStatistics total;
#pragma omp parallel if (queries > 1)
  {
    LazyGumbelSampler sampler(index, q, k, options);
    // Causal rows differ in cost (tail size grows with i): hand out small chunks.
#pragma omp for schedule(dynamic, 16)
    for (int64_t item = 0; item < queries; ++item) {
      const int64_t head = item / time, query = item % time;
      sampler.start_query(head, query, samples_per_query);
      CounterRng rng = query_rng(key, stream, head, query);
      int32_t* out = samples + item * samples_per_query;
      for (int64_t l = 0; l < samples_per_query; ++l) out[l] = sampler.draw(rng);
    }
    // Counts are whole numbers in doubles: their sum is exact in any order.
#pragma omp critical
    total += sampler.statistics();
  }
  if (statistics) *statistics += total;
}

}  // namespace knnformer::attention
