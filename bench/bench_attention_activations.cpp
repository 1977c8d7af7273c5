// Attention approximation error on a trained model's own activations
// (docs/design.md §5.9): the relative L2 error of O, dQ, dK, dV of each approximate
// attention mode against exact attention, on the q, k, v that every layer of
// a trained checkpoint actually sees when it reads val text, for each
// sequence length T. Gaussian q, k, v (bench_attention) give softmax rows of
// one fixed spread; a trained model's rows are as peaked or as flat as
// training made them, and kNN attention is only as good as its rows are
// peaked. The target: knn at the default k has output error <= 5% here.
//
// How: the model reads --sequences fixed val windows of its context length
// (the first windows of the val split, those eval's first batch starts
// with; no dropout, no gradients) while record_attention_inputs captures
// each layer's q, k, v ([B, H, context, d]). The forward uses the
// checkpoint's own attention, so these are the activations the trained
// model produces. For each T <= context, each layer's q, k, v are cut to
// their first T positions and measure_attention_fidelity compares the mode
// with exact attention there, forward and backward, from one fixed standard
// normal upstream gradient per layer (the counter RNG keyed by the layer,
// drawn for the whole context and cut like q, k, v). Sampling modes draw
// with the recorded call's key, so a run repeats its figures exactly.
//
// Why a prefix stands for a shorter sequence: attention is causal, so
// position i's q, k, v depend on tokens 0..i only, and the first T positions
// of a long forward are exactly what a forward of those T tokens computes.
// (A checkpoint trained with the clustered index is the exception: its
// k-means sees every key, so a prefix of its activations is near, not
// equal to, what a T-token forward gives.)
//
// Modes, each with L = 32 samples and k = ceil(sqrt(T)) rounded up to a
// multiple of 8 (choose_knn_k's default) unless its name says otherwise:
//   knn  knnN (k = N: knn5 is the paper's choice; knn24, knn32, ... show
//   the k that a checkpoint's attention needs)  knn-clustered  gumbel
//   gumbel-clustered  knn-tail
// each with its default backward (knn: exact sparse; the others: sampled).
//
// Printed per (mode, T): k, the relative L2 errors of O (mean over layers
// and the worst layer), dQ, dK, dV (means), recall@k of the index and tail
// keys scored per lazy-Gumbel sample (means); then per mode whether its
// output error is <= 5% at every T, by the mean over layers and by every
// single layer.
//
// usage: bench_attention_activations --checkpoint RUN_DIR|FILE.h5 [--data FILE.h5]
//          [--T 128,1024,...] [--modes knn,knn5,...] [--threads 2] [--sequences 2]
//   --T: default the powers of two from 128 below the context, and the context.
//   --data: default the dataset the run trained on.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "bench/bench_arguments.h"
#include "bench/bench_modes.h"
#include "core/autograd.h"
#include "core/error.h"
#include "core/parallel.h"
#include "core/rng.h"
#include "layers/attention/measurement/attention_fidelity.h"
#include "layers/attention/measurement/attention_recorder.h"
#include "train/evaluation.h"
#include "train/model_fidelity.h"
#include "train/saved_model.h"

using namespace knnformer;

namespace {

namespace po = boost::program_options;

constexpr double kTargetOutputError = 0.05;
// Key of the upstream gradients dO: any fixed value, so that every run draws the same ones.
constexpr uint64_t kUpstreamGradientSeed = 2025;

using Mode = bench::NamedMode;

// "knn" followed by a number N: knn with k = N (the exact index).
std::optional<int64_t> knn_k_in_name(const std::string& name) {
  const std::string prefix = "knn";
  const std::string digits = name.substr(std::min(prefix.size(), name.size()));
  if (!name.starts_with(prefix) || digits.empty() || digits.size() > 9 ||
      !std::ranges::all_of(digits, [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  const int64_t k = std::stoll(digits);
  if (k < 1) return std::nullopt;
  return k;
}

Mode find_mode(const std::string& name) {
  if (const std::optional<int64_t> k = knn_k_in_name(name)) {
    AttentionOptions options;
    options.mode = AttentionKind::knn;
    options.knn_index = KeyIndexKind::exact;
    options.knn_k = *k;
    return {name, options};
  }
  const Mode* mode = bench::find_benchmark_mode(name);
  require(mode != nullptr && mode->options.mode != AttentionKind::exact,
          "--modes: unknown mode '" + name + "' (expected an approximate one of " + bench::benchmark_mode_names() +
              ", or knnN for knn with k = N)");
  return *mode;
}

po::options_description bench_options() {
  po::options_description options("bench_attention_activations");
  options.add_options()
      ("checkpoint", po::value<std::string>(), "checkpoint file, or run directory (its newest valid checkpoint)")
      ("data", po::value<std::string>(), "token dataset (default: the one the run trained on)")
      ("T", po::value<std::string>(), "sequence lengths, comma-separated, each <= the context")
      ("modes", po::value<std::string>()->default_value("knn,knn5,knn-clustered,gumbel,gumbel-clustered,knn-tail"),
       "attention modes, comma-separated")
      ("threads", po::value<int>()->default_value(2), "threads")
      ("sequences", po::value<int64_t>()->default_value(2), "val windows the model reads")
      ("help", "this text");
  return options;
}

// The powers of two from 128 below the context, then the context itself.
std::vector<int64_t> default_lengths(int64_t context) {
  std::vector<int64_t> lengths;
  for (int64_t length = 128; length < context; length *= 2) lengths.push_back(length);
  lengths.push_back(context);
  return lengths;
}

// The first `time` positions of a [B, H, T, d] tensor, as a [B, H, time, d] copy.
Tensor causal_prefix(const Tensor& full, int64_t time) {
  const Shape& shape = full.shape();
  const int64_t rows = shape[0] * shape[1], length = shape[2], width = shape[3];
  Tensor prefix = Tensor::empty({shape[0], shape[1], time, width});
  for (int64_t row = 0; row < rows; ++row)
    std::copy_n(full.data() + row * length * width, time * width, prefix.data() + row * time * width);
  return prefix;
}

struct Measurement {
  int64_t time = 0;
  attention::AttentionFidelity mean;  // over the layers
  double worst_output_error = 0;
  int worst_layer = 0;
};

Measurement measure(const Mode& mode, const std::vector<attention::RecordedAttention>& calls,
                    const std::vector<Tensor>& upstream_gradients, int64_t time) {
  ModelFidelity fidelity;
  Measurement result{.time = time, .mean = {}};
  for (size_t layer = 0; layer < calls.size(); ++layer) {
    const attention::RecordedAttention& call = calls[layer];
    fidelity.layers.push_back(attention::measure_attention_fidelity(
        causal_prefix(call.q, time), causal_prefix(call.k, time), causal_prefix(call.v, time),
        causal_prefix(upstream_gradients[layer], time), mode.options, call.call));
    if (fidelity.layers.back().output_error > result.worst_output_error) {
      result.worst_output_error = fidelity.layers.back().output_error;
      result.worst_layer = call.call.layer;
    }
  }
  result.mean = fidelity.mean();
  return result;
}

// One line: does the mode's output error stay within the target at every T,
// by the mean over layers and by every single layer?
void print_verdict(const Mode& mode, const std::vector<Measurement>& measurements) {
  const auto by_mean = std::ranges::max_element(measurements, {}, [](const Measurement& m) {
    return m.mean.output_error;
  });
  const auto by_layer = std::ranges::max_element(measurements, {}, &Measurement::worst_output_error);
  const auto verdict = [](double error) { return error <= kTargetOutputError ? "yes" : "NO"; };
  std::printf("%-17s output error <= %.0f%% at every T: mean over layers %s (largest %.4f, T=%ld); "
              "every layer %s (largest %.4f, layer %d, T=%ld)\n",
              mode.name.c_str(), kTargetOutputError * 100, verdict(by_mean->mean.output_error),
              by_mean->mean.output_error, long(by_mean->time), verdict(by_layer->worst_output_error),
              by_layer->worst_output_error, by_layer->worst_layer, long(by_layer->time));
}

int run(int argc, char** argv) {
  const po::options_description options = bench_options();
  po::variables_map flags;
  po::store(po::command_line_parser(argc, argv).options(options).run(), flags);
  if (flags.count("help")) {
    std::cout << "usage: bench_attention_activations --checkpoint RUN_DIR|FILE.h5 [options]\n" << options;
    return 0;
  }
  require(flags.count("checkpoint"), "no checkpoint given (--checkpoint RUN_DIR|FILE.h5)");
  const int threads = flags["threads"].as<int>();
  const int64_t sequences = flags["sequences"].as<int64_t>();
  require(threads >= 1, "--threads must be at least 1");
  require(sequences >= 1, "--sequences must be at least 1");
  std::vector<Mode> modes;
  for (const std::string& name : bench::split_list("--modes", flags["modes"].as<std::string>()))
    modes.push_back(find_mode(name));

  const SavedModel saved = load_saved_model(flags["checkpoint"].as<std::string>());
  const int64_t context = saved.model.config().context;
  const std::vector<int64_t> lengths =
      flags.count("T") ? bench::parse_integer_list("--T", flags["T"].as<std::string>(), 1) : default_lengths(context);
  for (const int64_t time : lengths)
    require(time <= context, "--T " + std::to_string(time) + " exceeds the model's context " +
                                 std::to_string(context) + " (" + saved.checkpoint.string() + ")");
  const auto dataset = open_dataset(saved, flags.count("data") ? std::optional(flags["data"].as<std::string>())
                                                               : std::nullopt);
  set_num_threads(threads);

  const Batch batch = read_eval_batches(dataset, sequences, context, 1).front();
  const std::vector<attention::RecordedAttention> calls = attention::record_attention_inputs([&] {
    const NoGrad inference;
    saved.model.forward(batch.inputs, batch.rows, batch.context, {.seed = saved.config.seed, .training = false});
  });
  std::vector<Tensor> upstream_gradients;
  for (const attention::RecordedAttention& call : calls) {
    upstream_gradients.push_back(Tensor::empty(call.q.shape()));
    CounterRng(kUpstreamGradientSeed, {static_cast<uint64_t>(call.call.layer)})
        .fill_normal(upstream_gradients.back().data(), call.q.numel(), 0.0f, 1.0f);
  }

  const int64_t head_dim = saved.model.config().head_dim();
  std::printf("%s (step %ld): %s, trained with %s\n", saved.checkpoint.string().c_str(), long(saved.info.step),
              saved.model.config().to_string().c_str(),
              describe(saved.model.config().attention, context, head_dim).c_str());
  std::printf("q, k, v of %zu layers, head dim %ld, recorded on %ld val window(s) of %ld tokens of %s; %d thread(s)\n",
              calls.size(), long(head_dim), long(sequences), long(context), dataset->path().string().c_str(),
              threads);
  std::printf("causal prefixes of length T; relative L2 error against exact attention, mean over layers "
              "(O also its worst layer); L = 32\n");
  std::printf("%-17s %6s %5s %9s %9s %5s %9s %9s %9s %8s %9s\n", "mode", "T", "k", "err O", "worst O", "layer",
              "err dQ", "err dK", "err dV", "recall@k", "tail/smp");
  std::vector<std::vector<Measurement>> measurements(modes.size());
  for (const int64_t time : lengths) {
    for (size_t m = 0; m < modes.size(); ++m) {
      const Measurement r = measure(modes[m], calls, upstream_gradients, time);
      measurements[m].push_back(r);
      std::printf("%-17s %6ld %5ld %9.4f %9.4f %5d %9.4f %9.4f %9.4f %8.3f %9.2f\n", modes[m].name.c_str(),
                  long(time), long(choose_knn_k(modes[m].options, time, head_dim)), r.mean.output_error,
                  r.worst_output_error, r.worst_layer, r.mean.query_grad_error, r.mean.key_grad_error,
                  r.mean.value_grad_error, r.mean.recall, r.mean.tail_work);
      std::fflush(stdout);
    }
  }
  for (size_t m = 0; m < modes.size(); ++m) print_verdict(modes[m], measurements[m]);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "bench_attention_activations: %s\n", error.what());
    return 1;
  }
}
