// Where a long-context training step's time goes, for each attention mode:
// one step of forward, backward and AdamW of a whole GPT (by default the
// long-context retrieval model: 2 layers, 128 wide, 2 heads, rotary
// positions, one sequence of T = 16384), split into the phases the
// attention layers time themselves (measurement/attention_diagnostics.h) —
// the approximate modes' index build, their forward's sampling and output,
// their backward; exact attention's forward and backward — and the rest of
// the model (embeddings, LayerNorms, the linear layers' GEMMs, the MLP, the
// loss and the optimizer).
//
// usage: bench_step_profile [--threads 2] [--T 16384] [--steps 5]
//                           [--modes exact,knn,knn-clustered,gumbel,gumbel-clustered,gumbel-none,knn-tail]
//                           [--n-layer 2] [--n-embd 128] [--n-head 2]
//                           [--checkpoint RUN_DIR|FILE.h5 [--data FILE.h5]]
//
// By default the model is at its initialisation and reads random tokens, so
// its attention is close to uniform. With --checkpoint it is that trained
// model (its shape; rotary positions take any T) reading the first val
// sequence of its dataset (or --data) with the loss its training counts, so
// the phases are those of attention as peaked as training made it: a
// sampler's tail work and a dense fallback depend on it (docs/results.md,
// the long-range copy task).
//
// Each mode runs two warm-up steps (the arena grows and oneDNN compiles its
// kernels in the first), then the median of `steps` steps by their total;
// its phases are those of that step. "vs exact" is exact attention's step
// time over the mode's, when exact ran before it. The approximate modes use their
// defaults (k = ceil(sqrt(T)) to a multiple of 8, L = 32) with the backward
// each mode trains with (sparse for knn, sampled for the others).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "core/arena.h"
#include "core/autograd.h"
#include "core/parallel.h"
#include "core/rng.h"
#include "layers/attention/measurement/attention_diagnostics.h"
#include "layers/gpt.h"
#include "optim/optimizer.h"

#include "bench_arguments.h"
#include "bench_checkpoint.h"
#include "bench_modes.h"

using namespace knnformer;

namespace {

struct Options {
  int threads = 2;
  int64_t time = 16384;
  int steps = 5;
  int64_t n_layer = 2, n_embd = 128, n_head = 2;
  std::vector<bench::NamedMode> modes;
  std::optional<std::string> checkpoint, data;
};

Options parse(int argc, char** argv) {
  namespace po = boost::program_options;
  Options options;
  std::string modes = bench::benchmark_mode_names(), checkpoint, data;
  po::options_description flags("bench_step_profile flags");
  flags.add_options()
      ("threads", po::value(&options.threads)->default_value(options.threads), "threads")
      ("T", po::value(&options.time)->default_value(options.time), "sequence length (one sequence per step)")
      ("steps", po::value(&options.steps)->default_value(options.steps), "timed steps per mode, after a warm-up")
      ("modes", po::value(&modes)->default_value(modes), "attention modes, comma-separated")
      ("n-layer", po::value(&options.n_layer)->default_value(options.n_layer), "transformer blocks")
      ("n-embd", po::value(&options.n_embd)->default_value(options.n_embd), "width")
      ("n-head", po::value(&options.n_head)->default_value(options.n_head), "heads")
      ("checkpoint", po::value(&checkpoint), "a trained model (checkpoint file or run directory) instead")
      ("data", po::value(&data), "with --checkpoint: the dataset to read (default: the run's)");
  bench::parse_flags(argc, argv, flags);
  if (!checkpoint.empty()) options.checkpoint = checkpoint;
  if (!data.empty()) options.data = data;
  require(options.checkpoint || !options.data, "--data reads a dataset for --checkpoint's model");
  require(options.threads >= 1 && options.steps >= 1 && options.time >= 1, "--threads, --steps, --T: at least 1");
  options.modes = bench::parse_modes("--modes", modes);
  return options;
}

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

struct StepProfile {
  double seconds = 0;
  attention::AttentionTimes attention;
};

// What a step trains: a model and one sequence with its targets.
using Workload = bench::CheckpointWorkload;

// A model at initialisation reading random tokens.
Workload fresh_workload(const bench::NamedMode& mode, const Options& options) {
  constexpr int64_t kVocab = 96;
  const ModelConfig config{.vocab_size = kVocab, .n_layer = options.n_layer, .n_head = options.n_head,
                           .n_embd = options.n_embd, .context = options.time, .dropout = 0,
                           .positions = PositionEncoding::rope, .attention = mode.options};
  Workload workload{.model = GPT(config, 1), .tokens = std::vector<int32_t>(options.time),
                    .targets = std::vector<int32_t>(options.time)};
  CounterRng rng(2, {});
  for (auto& t : workload.tokens) t = static_cast<int32_t>(rng.below(kVocab));
  for (auto& t : workload.targets) t = static_cast<int32_t>(rng.below(kVocab));
  return workload;
}

StepProfile profile_mode(const bench::NamedMode& mode, const Options& options) {
  const Workload workload = options.checkpoint
                               ? bench::read_checkpoint(*options.checkpoint, options.data, options.time, mode.options)
                               : fresh_workload(mode, options);
  const GPT& model = workload.model;
  const std::vector<int32_t>&tokens = workload.tokens, &targets = workload.targets;
  auto optimizer = make_adamw(model.parameters(), {}, GPT::is_decayed);

  Arena arena;
  std::vector<StepProfile> steps;
  constexpr int kWarmUpSteps = 2;
  for (int step = 0; step < options.steps + kWarmUpSteps; ++step) {
    attention::take_attention_diagnostics();
    const double start = now();
    {
      const ArenaScope scope(arena);
      backward(model.loss(tokens, targets, 1, options.time, {1, uint64_t(step), 0, true}));
    }
    optimizer->step(1e-4);
    for (const auto& p : model.parameters()) p.tensor.zero_grad();
    arena.reset();
    const StepProfile profile{.seconds = now() - start, .attention = attention::take_attention_diagnostics().times};
    if (step >= kWarmUpSteps) steps.push_back(profile);
  }
  std::sort(steps.begin(), steps.end(),
            [](const StepProfile& a, const StepProfile& b) { return a.seconds < b.seconds; });
  return steps[steps.size() / 2];
}

void print_profiles(const Options& options) {
  set_num_threads(options.threads);
  if (options.checkpoint)
    std::printf("one training step (forward + backward + AdamW), B=1 T=%ld, the trained model %s reading its first "
                "val sequence, %d threads; median of %d steps; ms\n",
                long(options.time), options.checkpoint->c_str(), options.threads, options.steps);
  else
    std::printf("one training step (forward + backward + AdamW), B=1 T=%ld, %ld layers, %ld wide, %ld heads, rotary, "
                "at initialisation, %d threads; median of %d steps; ms\n",
                long(options.time), long(options.n_layer), long(options.n_embd), long(options.n_head),
                options.threads, options.steps);
  std::printf("%-17s %9s %8s %8s %8s %8s %8s %8s %8s\n", "mode", "step", "index", "sampling", "output", "backward",
              "exact", "rest", "vs exact");
  double exact_seconds = 0;
  for (const bench::NamedMode& mode : options.modes) {
    const StepProfile p = profile_mode(mode, options);
    if (mode.options.mode == AttentionKind::exact) exact_seconds = p.seconds;
    const attention::AttentionTimes& a = p.attention;
    std::printf("%-17s %9.1f %8.1f %8.1f %8.1f %8.1f %8.1f %8.1f", mode.name.c_str(), 1e3 * p.seconds, 1e3 * a.index,
                1e3 * a.sampling, 1e3 * a.output, 1e3 * a.backward, 1e3 * a.exact, 1e3 * (p.seconds - a.total()));
    if (exact_seconds > 0) std::printf(" %7.2fx", exact_seconds / p.seconds);
    std::printf("\n");
  }
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = bench::parse_or_exit(argv[0], [&] { return parse(argc, argv); });
  try {
    print_profiles(options);
  } catch (const std::exception& error) {  // a checkpoint or dataset that does not open or fit
    std::fprintf(stderr, "bench_step_profile: %s\n", error.what());
    return 1;
  }
}
