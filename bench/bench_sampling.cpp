// Sampled attention benchmark: the `gumbel` forward with the `sampled`
// backward (lazy Gumbel sampling, docs/design.md §5.5) against exact attention's
// forward + backward, one causal layer, B=1, H=4, d=64, V and dO standard
// normal, Q and K standard normal or (--data clustered) drawn around shared
// centres (bench_inputs.h), for each sequence length T.
//
// Reported per T and index, as the best wall time of `repeats` runs after a
// warm-up and, in parentheses, the best process CPU time (all threads):
//   exact ms      exact_attention forward + backward (autograd, flash-style)
//   index ms      build_key_index (the head N_i of k keys and the tail groups)
//   sample ms     draw_attention_samples, L samples per query
//   output ms     gumbel_output (mean of the L sampled values)
//   backward ms   sampled_attention_backward, reusing the forward's samples,
//                 D_i leave-one-out, uniform starts
//   total ms      index + sample + output + backward; speedup = exact / total,
//                 of wall times and (cpu) of CPU times
//   tail/sample   tail keys drawn and scored per sample (step 3 of docs/design.md §5.5)
//   --tail        the sampler's tail draw: rejection (default) or binomial (lazy Gumbel as
//                 docs/design.md §5.5 writes it)
//   literal       (with --literal) draw_attention_samples with one Gumbel per
//                 head member per sample, the literal algorithm, for scale
// k = ceil(sqrt(T)) rounded up to a multiple of 8 and L = 32 unless given.
//
// usage: bench_sampling [--threads 2] [--repeats 1] [--T 1024,2048,...]
//                       [--index exact,clustered] [--samples 32] [--k K] [--clusters C] [--probes P]
//                       [--tail rejection|binomial]
//                       [--literal] [--no-exact] [--data gaussian|clustered]
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "core/arena.h"
#include "core/autograd.h"
#include "core/large_buffer.h"
#include "core/parallel.h"
#include "core/rng.h"
#include "layers/attention/attention_options.h"
#include "layers/attention/exact_attention.h"
#include "layers/attention/index/key_index.h"
#include "layers/attention/index/key_index_factory.h"
#include "layers/attention/sampling/lazy_gumbel_sampler.h"
#include "layers/attention/sampling/sampled_estimators.h"

#include "bench_arguments.h"
#include "bench_inputs.h"

using namespace knnformer;
using namespace knnformer::attention;

namespace {

constexpr int64_t kBatch = 1, kHeads = 4, kDim = 64;

struct Options {
  int threads = 2;
  int repeats = 1;
  std::vector<int64_t> lengths{1024, 2048, 4096, 8192, 16384, 32768};
  std::vector<KeyIndexKind> indexes{KeyIndexKind::exact, KeyIndexKind::clustered};
  int64_t samples = 32;
  int64_t k = 0;  // 0: the default ceil(sqrt(T)) rounded up to a multiple of 8
  int64_t clusters = 0, probes = 0;  // clustered index; 0: its defaults
  bool literal = false;
  TailDraw tail = TailDraw::rejection;
  bool exact = true;  // --no-exact: time the sampled path only
  bench::InputData data = bench::InputData::gaussian;
};

Options parse(int argc, char** argv) {
  namespace po = boost::program_options;
  Options options;
  std::string lengths = bench::integer_list_text(options.lengths), indexes = "exact,clustered";
  std::string tail = "rejection", data = "gaussian";
  bool no_exact = false;
  po::options_description flags("bench_sampling flags");
  flags.add_options()
      ("threads", po::value(&options.threads)->default_value(options.threads), "threads")
      ("repeats", po::value(&options.repeats)->default_value(options.repeats), "runs per figure; the best is kept")
      ("T", po::value(&lengths)->default_value(lengths), "sequence lengths, comma-separated")
      ("index", po::value(&indexes)->default_value(indexes), "key indexes, comma-separated: exact, clustered")
      ("samples", po::value(&options.samples)->default_value(options.samples), "samples per query L")
      ("k", po::value(&options.k)->default_value(options.k), "head size (0: ceil(sqrt(T)) to a multiple of 8)")
      ("clusters", po::value(&options.clusters)->default_value(options.clusters), "clusters (0: the default)")
      ("probes", po::value(&options.probes)->default_value(options.probes), "probes (0: the default)")
      ("tail", po::value(&tail)->default_value(tail), "tail draw: rejection or binomial")
      ("literal", po::bool_switch(&options.literal), "also time the literal algorithm (one Gumbel per head key)")
      ("no-exact", po::bool_switch(&no_exact), "time the sampled path only")
      ("data", po::value(&data)->default_value(data), "Q and K: gaussian or clustered (bench_inputs.h)");
  bench::parse_flags(argc, argv, flags);
  require(options.threads >= 1 && options.repeats >= 1, "--threads and --repeats must be at least 1");
  require(options.samples >= 1 && options.k >= 0 && options.clusters >= 0 && options.probes >= 0,
          "--samples must be at least 1; --k, --clusters and --probes at least 0");
  options.lengths = bench::parse_integer_list("--T", lengths, 1);
  options.indexes.clear();
  for (const std::string& name : bench::split_list("--index", indexes))
    options.indexes.push_back(parse_enum<KeyIndexKind>(name, "--index"));
  options.tail = parse_enum<TailDraw>(tail, "--tail");
  options.data = parse_enum<bench::InputData>(data, "--data");
  options.exact = !no_exact;
  return options;
}

double cpu_ms() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return 1e3 * double(now.tv_sec) + 1e-6 * double(now.tv_nsec);
}

// Wall time and process CPU time (all threads), in milliseconds: on a machine
// shared with other work the wall time varies with its load, while the CPU
// time shows the work done.
struct Timing {
  double wall = 0, cpu = 0;
  Timing& operator+=(const Timing& other) {
    wall += other.wall, cpu += other.cpu;
    return *this;
  }
};

// The best wall and the best CPU time of `repeats` runs after a warm-up.
Timing best_of(int repeats, const auto& work) {
  work();
  Timing best{std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity()};
  for (int r = 0; r < repeats; ++r) {
    const double cpu_start = cpu_ms();
    const auto start = std::chrono::steady_clock::now();
    work();
    const std::chrono::duration<double, std::milli> wall = std::chrono::steady_clock::now() - start;
    best.wall = std::min(best.wall, wall.count());
    best.cpu = std::min(best.cpu, cpu_ms() - cpu_start);
  }
  return best;
}

int64_t default_k(int64_t time) { return choose_knn_k({}, time, kDim); }

struct Inputs {
  Tensor q, k, v;
  LargeVector<float> grad_output;  // as a tensor of the step's arena would be: on huge pages
};

Inputs random_inputs(int64_t time, bench::InputData data) {
  const Shape shape{kBatch, kHeads, time, kDim};
  Inputs in{Tensor::parameter(shape), Tensor::parameter(shape), Tensor::parameter(shape), {}};
  const int64_t rows = kBatch * kHeads * time;
  bench::fill_inputs(in.q.data(), rows, kDim, time, data, CounterRng(1, {0}), CounterRng(1, {0, 2}));
  bench::fill_inputs(in.k.data(), rows, kDim, time, data, CounterRng(1, {1}), CounterRng(1, {1, 2}));
  CounterRng(1, {2}).fill_normal(in.v.data(), in.v.numel(), 0, 1);
  in.grad_output.resize(in.q.numel());
  CounterRng(1, {3}).fill_normal(in.grad_output.data(), in.q.numel(), 0, 1);
  return in;
}

Timing exact_forward_backward(const Inputs& in, int repeats) {
  Arena arena;
  return best_of(repeats, [&] {
    {
      const ArenaScope scope(arena);
      const Tensor out = attention::exact_attention(in.q, in.k, in.v);
      std::copy(in.grad_output.begin(), in.grad_output.end(), out.grad());
      Tape::current().run_backward();
    }
    arena.reset();
  });
}

struct SampledTiming {
  Timing index, sample, output, backward, literal;
  double tail_per_sample = 0;
  Timing total() const {
    Timing sum = index;
    return sum += sample, sum += output, sum += backward;
  }
};

SampledTiming time_sampled(const Inputs& in, KeyIndexKind kind, const Options& options) {
  const int64_t time = in.q.size(2), samples_per_query = options.samples;
  const AttentionShape shape{kBatch * kHeads, time, kDim};
  // As the gumbel mode builds it: with tight_tail (the exact index with its
  // near tier, the clustered one probing by bound).
  const KeyIndexOptions index_options{
      .kind = kind,
      .k = options.k > 0 ? options.k : default_k(time),
      .clusters = options.clusters,
      .probes = options.probes,
      .tight_tail = true};
  const SamplingKey key{1, 0, 0, 0};
  LargeVector<int32_t> samples(shape.heads * time * samples_per_query);
  // In training these are tensors of the step's arena, on huge pages as large buffers are.
  LargeVector<float> out(in.q.numel()), grad_q(in.q.numel()), grad_k(in.q.numel()), grad_v(in.q.numel());

  SampledTiming timing;
  std::unique_ptr<KeyIndex> index;
  timing.index = best_of(options.repeats, [&] { index = build_key_index(index_options, in.q, in.k, true); });
  SamplingStatistics statistics;
  timing.sample = best_of(options.repeats, [&] {
    statistics = {};
    draw_attention_samples(*index, in.q.data(), in.k.data(), samples_per_query, key, SampleStream::forward,
                           samples.data(), &statistics, {.tail = options.tail});
  });
  timing.tail_per_sample = statistics.tail_members_per_sample();
  timing.output = best_of(options.repeats, [&] {
    gumbel_output(shape, samples.data(), samples_per_query, in.v.data(), 1, out.data());
  });
  SampledBackward backward;  // uniform starts, D_i leave-one-out
  backward.shape = shape;
  backward.q = in.q.data();
  backward.k = in.k.data();
  backward.v = in.v.data();
  backward.grad_output = in.grad_output.data();
  backward.samples = samples.data();
  backward.samples_per_query = samples_per_query;
  timing.backward = best_of(options.repeats, [&] {
    sampled_attention_backward(backward, grad_q.data(), grad_k.data(), grad_v.data());
  });
  if (options.literal)
    timing.literal = best_of(options.repeats, [&] {
      draw_attention_samples(*index, in.q.data(), in.k.data(), samples_per_query, key, SampleStream::forward,
                             samples.data(), nullptr, {.head = HeadDraw::per_candidate, .tail = options.tail});
    });
  return timing;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = bench::parse_or_exit(argv[0], [&] { return parse(argc, argv); });
  set_num_threads(options.threads);
  std::printf("gumbel forward + sampled backward vs exact attention, causal, B=%ld H=%ld d=%ld, %s Q and K, L=%ld, "
              "%d threads, best of %d; wall ms (CPU ms of all threads)\n",
              long(kBatch), long(kHeads), long(kDim), std::string(name_of(options.data)).c_str(), long(options.samples),
              options.threads, options.repeats);
  std::printf("%6s %4s %-9s %17s %15s %17s %13s %15s %17s %7s %6s %8s%s\n", "T", "k", "index", "exact fwd+bwd",
              "index", "sample", "output", "backward", "total", "speedup", "(cpu)", "tail/smp",
              options.literal ? "  literal sample" : "");
  const auto cell = [](const Timing& t, int width) {
    char text[64];
    std::snprintf(text, sizeof text, "%.1f (%.1f)", t.wall, t.cpu);
    std::printf(" %*s", width, text);
  };
  for (const int64_t time : options.lengths) {
    const Inputs in = random_inputs(time, options.data);
    const Timing exact = options.exact ? exact_forward_backward(in, options.repeats) : Timing{NAN, NAN};
    for (const KeyIndexKind kind : options.indexes) {
      const SampledTiming t = time_sampled(in, kind, options);
      std::printf("%6ld %4ld %-9s", long(time), long(options.k > 0 ? options.k : default_k(time)),
                  std::string(name_of(kind)).c_str());
      cell(exact, 17), cell(t.index, 15), cell(t.sample, 17), cell(t.output, 13), cell(t.backward, 15);
      cell(t.total(), 17);
      std::printf(" %7.2f %6.2f %8.2f", exact.wall / t.total().wall, exact.cpu / t.total().cpu, t.tail_per_sample);
      if (options.literal) cell(t.literal, 17);
      std::printf("\n");
      std::fflush(stdout);
    }
  }
}
