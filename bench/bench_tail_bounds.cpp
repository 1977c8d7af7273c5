// Why a trained model's sampled rows are scored whole (docs/design.md §5.5,
// "Dense rows"): the key index's tail bounds on the q, k that a trained
// checkpoint computes, against the rows' true scores.
//
// The model reads the first val sequence of its dataset at length T (rotary
// positions take any T), attending by --mode, while each layer's q, k are
// recorded; each layer's index is then built as that mode builds it
// (key_index_options) and read for every `--every`-th query from T/8 on
// (rows long enough to have a tail). Per layer and head, medians over those
// queries of
//   LSE − s_k     the row's log-partition LSE = log Σ_{C_i} e^{S_ij} minus its
//                 k-th largest score: how far below the softmax's mass the
//                 head's edge lies
//   bound − LSE   the largest tail bound minus LSE: a bound above LSE lets
//                 rejection accept almost nothing it proposes
//   ln U/Zh       the tail's proposal mass over the head's, U = Σ_g |g|·e^{b_g},
//                 Z_head = Σ_{N_i} e^{S_ij}; a sampler drawing L samples scores
//                 the row whole when L·U/Z_head reaches half the tail
//   whole         the share of rows scored whole at L = --samples
//   ideal         ln U/Zh and whole again with each group bounded by its
//                 largest true score: the best any bound on those groups gives
//   weighed       the share of a row at or above LSE_head − 20, the keys a
//                 scored row weighs (SamplerOptions::negligible_nats)
//
// usage: bench_tail_bounds --checkpoint RUN_DIR|FILE.h5 [--data FILE.h5] [--T 16384]
//                          [--mode gumbel-clustered] [--every 64] [--samples 32] [--threads 2]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/kernels/sampling.h"
#include "core/parallel.h"
#include "layers/attention/approximate_attention.h"
#include "layers/attention/index/key_index_factory.h"
#include "layers/attention/measurement/attention_recorder.h"
#include "layers/attention/sampling/lazy_gumbel_sampler.h"

#include "bench_arguments.h"
#include "bench_checkpoint.h"
#include "bench_modes.h"

using namespace knnformer;

namespace {

struct Options {
  std::string checkpoint;
  std::optional<std::string> data;
  int64_t time = 16384, every = 64, samples = 32;
  int threads = 2;
  bench::NamedMode mode;
};

Options parse(int argc, char** argv) {
  namespace po = boost::program_options;
  Options options;
  std::string data, mode = "gumbel-clustered";
  po::options_description flags("bench_tail_bounds flags");
  flags.add_options()
      ("checkpoint", po::value(&options.checkpoint), "a trained model: checkpoint file or run directory")
      ("data", po::value(&data), "the dataset to read (default: the run's)")
      ("T", po::value(&options.time)->default_value(options.time), "sequence length")
      ("mode", po::value(&mode)->default_value(mode), "the approximate mode whose index is read")
      ("every", po::value(&options.every)->default_value(options.every), "read every this many queries")
      ("samples", po::value(&options.samples)->default_value(options.samples), "samples per query, L")
      ("threads", po::value(&options.threads)->default_value(options.threads), "threads");
  bench::parse_flags(argc, argv, flags);
  require(!options.checkpoint.empty(), "no checkpoint given (--checkpoint RUN_DIR|FILE.h5)");
  require(options.time >= 8 && options.every >= 1 && options.samples >= 1 && options.threads >= 1,
          "--T at least 8; --every, --samples, --threads at least 1");
  if (!data.empty()) options.data = data;
  const std::vector<bench::NamedMode> modes = bench::parse_modes("--mode", mode);
  require(modes.size() == 1 && modes.front().options.mode != AttentionKind::exact,
          "--mode: one approximate mode, not '" + mode + "'");
  options.mode = modes.front();
  return options;
}

// log Σ e^{x} over the values added, without overflow.
class LogSum {
 public:
  void add(double log_value) {
    if (log_value == -INFINITY) return;
    if (log_value > largest_) {
      sum_ = sum_ * std::exp(largest_ - log_value) + 1.0;
      largest_ = log_value;
    } else {
      sum_ += std::exp(log_value - largest_);
    }
  }
  double value() const { return largest_ + std::log(sum_); }

 private:
  double largest_ = -INFINITY, sum_ = 0.0;
};

// One row: the quantities of the table, before the medians.
struct RowBounds {
  double head_edge_gap, bound_excess, log_tail_ratio, ideal_log_tail_ratio, weighed_share;
  bool whole, ideal_whole;
};

// What start_query decides (lazy_gumbel_sampler.h): the row is scored whole
// when one draw's expected tail work U/Z_head reaches the tail, or L draws' reach half of it.
bool scored_whole(double log_tail_ratio, double tail, int64_t samples) {
  const double work_per_draw = std::exp(log_tail_ratio);
  return work_per_draw >= tail || double(samples) * work_per_draw >= 0.5 * tail;
}

// s·q_i·k_j for every candidate j of the query, in double.
std::vector<double> true_scores(const attention::KeyIndex& index, const float* q, const float* k, int64_t head,
                                int64_t query) {
  const int64_t dim = index.dim();
  const float* const query_row = q + (head * index.time() + query) * dim;
  std::vector<double> scores(index.candidates(query));
  for (size_t key = 0; key < scores.size(); ++key)
    scores[key] = index.scale() * kernels::sampling::dot(query_row, k + (head * index.time() + key) * dim, dim);
  return scores;
}

// The tail's proposal mass U = Σ_g |g|·e^{b_g} and the same with each group
// bounded by its largest true score, as logarithms; and the largest bound.
struct TailMasses {
  double log_mass, ideal_log_mass, largest_bound;
};

TailMasses tail_masses(const attention::KeyIndex& index, int64_t head, int64_t query,
                       const std::vector<double>& scores) {
  LogSum mass, ideal_mass;
  double largest_bound = -INFINITY;
  for (int64_t group = 0; group < index.tail_group_count(head, query); ++group) {
    const attention::TailGroup tail = index.tail_group(head, query, group);
    double largest_score = -INFINITY;
    for (int64_t rank = 0; rank < tail.size; ++rank)
      largest_score = std::max(largest_score, scores[index.tail_member(head, query, group, rank)]);
    mass.add(std::log(double(tail.size)) + tail.bound);
    ideal_mass.add(std::log(double(tail.size)) + largest_score);
    largest_bound = std::max(largest_bound, double(tail.bound));
  }
  return {.log_mass = mass.value(), .ideal_log_mass = ideal_mass.value(), .largest_bound = largest_bound};
}

RowBounds read_row(const attention::KeyIndex& index, const float* q, const float* k, int64_t head, int64_t query,
                   int64_t samples) {
  const std::vector<double> scores = true_scores(index, q, k, head, query);
  LogSum row;
  for (const double score : scores) row.add(score);
  const double log_partition = row.value();
  const attention::Neighbours neighbours = index.neighbours(head, query);
  LogSum head_mass;
  for (const float score : neighbours.scores) head_mass.add(score);
  const TailMasses tail = tail_masses(index, head, query, scores);

  std::vector<double> sorted = scores;
  const auto kth = sorted.begin() + static_cast<int64_t>(neighbours.keys.size()) - 1;
  std::nth_element(sorted.begin(), kth, sorted.end(), std::greater<>());
  const double threshold = head_mass.value() - double(attention::SamplerOptions{}.negligible_nats);
  const auto weighed = std::ranges::count_if(scores, [&](double score) { return score >= threshold; });
  const double tail_size = double(scores.size()) - double(neighbours.keys.size());
  const double ratio = tail.log_mass - head_mass.value(), ideal = tail.ideal_log_mass - head_mass.value();
  return {.head_edge_gap = log_partition - *kth, .bound_excess = tail.largest_bound - log_partition,
          .log_tail_ratio = ratio, .ideal_log_tail_ratio = ideal,
          .weighed_share = double(weighed) / double(scores.size()),
          .whole = scored_whole(ratio, tail_size, samples), .ideal_whole = scored_whole(ideal, tail_size, samples)};
}

template <class Field>
double median(std::vector<RowBounds> rows, Field field) {
  std::vector<double> values;
  for (const RowBounds& row : rows) values.push_back(field(row));
  std::nth_element(values.begin(), values.begin() + values.size() / 2, values.end());
  return values[values.size() / 2];
}

template <class Field>
double share(const std::vector<RowBounds>& rows, Field field) {
  return double(std::ranges::count_if(rows, field)) / double(rows.size());
}

void run(const Options& options) {
  set_num_threads(options.threads);
  const bench::CheckpointWorkload workload =
      bench::read_checkpoint(options.checkpoint, options.data, options.time, options.mode.options);
  const std::vector<attention::RecordedAttention> calls = attention::record_attention_inputs([&] {
    const NoGrad inference;
    workload.model.forward(workload.tokens, 1, options.time, {.seed = 1, .training = false});
  });
  std::printf("%s at T = %ld, the index of %s, every %ld-th query from T/8, L = %ld; medians over queries\n",
              options.checkpoint.c_str(), long(options.time), options.mode.name.c_str(), long(options.every),
              long(options.samples));
  std::printf("%5s %4s %9s %11s %9s %6s %11s %11s %8s\n", "layer", "head", "LSE-s_k", "bound-LSE", "ln U/Zh",
              "whole", "ideal U/Zh", "ideal whole", "weighed");
  for (const attention::RecordedAttention& call : calls) {
    const std::unique_ptr<attention::KeyIndex> index = attention::build_key_index(
        attention::key_index_options(options.mode.options, call.q.shape(), call.call), call.q, call.k, true);
    for (int64_t head = 0; head < index->heads(); ++head) {
      std::vector<int64_t> queries;
      for (int64_t query = options.time / 8; query < options.time; query += options.every) queries.push_back(query);
      std::vector<RowBounds> rows(queries.size());
      parallel_for(0, static_cast<int64_t>(queries.size()), [&](int64_t n) {
        rows[n] = read_row(*index, call.q.data(), call.k.data(), head, queries[n], options.samples);
      });
      std::printf("%5ld %4ld %9.1f %11.1f %9.1f %6.2f %11.1f %11.2f %8.4f\n", long(call.call.layer), long(head),
                  median(rows, [](const RowBounds& r) { return r.head_edge_gap; }),
                  median(rows, [](const RowBounds& r) { return r.bound_excess; }),
                  median(rows, [](const RowBounds& r) { return r.log_tail_ratio; }),
                  share(rows, [](const RowBounds& r) { return r.whole; }),
                  median(rows, [](const RowBounds& r) { return r.ideal_log_tail_ratio; }),
                  share(rows, [](const RowBounds& r) { return r.ideal_whole; }),
                  median(rows, [](const RowBounds& r) { return r.weighed_share; }));
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = bench::parse_or_exit(argv[0], [&] { return parse(argc, argv); });
  try {
    run(options);
  } catch (const std::exception& error) {  // a checkpoint or dataset that does not open or fit
    std::fprintf(stderr, "bench_tail_bounds: %s\n", error.what());
    return 1;
  }
}
