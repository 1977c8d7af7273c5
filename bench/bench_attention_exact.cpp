// Exact attention benchmark: one causal layer, H=4, d=64, B=1 unless --batch
// says otherwise (cfgA's attention is --batch 8 --T 256), forward and
// forward+backward time and peak memory for each sequence length T.
//
// Each T runs in a child process of its own, so that its peak resident set
// (VmHWM) is its own; the parent never starts OpenMP, which must not be
// running across fork(). Reported per T:
//   forward, fwd+bwd   best wall time of `repeats` runs after a warm-up, and
//                      best process CPU time (all threads): on a machine shared
//                      with other work, wall time varies with its load, while
//                      CPU time shows the work done
//   GF/s               useful flops of causal attention (the T²/2 half) per second:
//                      forward 4·(T²/2)·d per head, backward 10·(T²/2)·d
//   arena MB           peak bytes of the step's tensors (output, log-sum-exp,
//                      packed Kᵀ/Vᵀ, dQ partials, dO), from the arena
//   RSS MB             peak resident set of the child above its resident set
//                      once the inputs and their gradients exist
// and, for scale, oneDNN's sgemm GF/s on 1024³ in the same process.
//
// --precision bf16 runs the tiles' products on bf16 operands where the CPU
// has the bf16 dot product (exact_attention.h); the header line says which.
//
// usage: bench_attention_exact [--threads 2] [--repeats 3] [--batch 1] [--T 1024,2048,...]
//                              [--precision fp32|bf16] [--csv]
//   --csv prints one line per T:
//   T,forward_s,fwd_bwd_s,arena_bytes,rss_bytes,forward_cpu_s,fwd_bwd_cpu_s
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "core/arena.h"
#include "core/autograd.h"
#include "core/gemm.h"
#include "core/parallel.h"
#include "core/rng.h"
#include "core/enum_names.h"
#include "core/kernels/bfloat16_tile.h"
#include "core/precision.h"
#include "layers/attention/exact_attention.h"

#include "bench_arguments.h"

using namespace knnformer;

namespace {

constexpr int64_t kHeads = 4, kDim = 64;

struct Options {
  int threads = 2;
  int repeats = 3;
  int64_t batch = 1;
  std::vector<int64_t> lengths{1024, 2048, 4096, 8192, 16384};
  Precision precision = Precision::fp32;
  bool csv = false;
};

Options parse(int argc, char** argv) {
  namespace po = boost::program_options;
  Options options;
  std::string lengths = bench::integer_list_text(options.lengths);
  std::string precision = "fp32";
  po::options_description flags("bench_attention_exact flags");
  flags.add_options()
      ("threads", po::value(&options.threads)->default_value(options.threads), "threads")
      ("repeats", po::value(&options.repeats)->default_value(options.repeats), "runs per figure; the best is kept")
      ("batch", po::value(&options.batch)->default_value(options.batch), "sequences per call (B)")
      ("T", po::value(&lengths)->default_value(lengths), "sequence lengths, comma-separated")
      ("precision", po::value(&precision)->default_value(precision), "fp32 or bf16: the products' operands")
      ("csv", po::bool_switch(&options.csv), "print T,forward_s,fwd_bwd_s,... lines");
  bench::parse_flags(argc, argv, flags);
  options.lengths = bench::parse_integer_list("--T", lengths, 1);
  options.precision = parse_enum<Precision>(precision, "--precision");
  require(options.threads >= 1 && options.repeats >= 1 && options.batch >= 1,
          "--threads, --repeats and --batch must be at least 1");
  return options;
}

// A field of /proc/self/status in bytes ("VmRSS", "VmHWM").
size_t status_bytes(const std::string& field) {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind(field + ":", 0) == 0) return std::stoull(line.substr(field.size() + 1)) * 1024;
  return 0;
}

double cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return double(now.tv_sec) + 1e-9 * double(now.tv_nsec);
}

struct Timing {
  double wall = std::numeric_limits<double>::infinity();
  double cpu = std::numeric_limits<double>::infinity();
};

// The best wall and the best CPU time of `repeats` runs after a warm-up.
Timing best_of(int repeats, const auto& work) {
  work();  // warm-up: page faults, thread start
  Timing best;
  for (int r = 0; r < repeats; ++r) {
    const double cpu_start = cpu_seconds();
    const auto start = std::chrono::steady_clock::now();
    work();
    best.wall = std::min(best.wall, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    best.cpu = std::min(best.cpu, cpu_seconds() - cpu_start);
  }
  return best;
}

double sgemm_gflops() {
  constexpr int64_t n = 1024;
  std::vector<float> a(n * n), b(n * n), c(n * n);
  CounterRng(3, {}).fill_normal(a.data(), n * n, 0, 1);
  CounterRng(4, {}).fill_normal(b.data(), n * n, 0, 1);
  const Timing timing = best_of(5, [&] {
    gemm::sgemm(false, false, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n);
  });
  return 2.0 * n * n * n / timing.wall * 1e-9;
}

struct Measurement {
  Timing forward, step;
  size_t arena_bytes, rss_bytes;
};

Measurement measure(int64_t batch, int64_t time, int repeats, Precision precision) {
  const Shape shape{batch, kHeads, time, kDim};
  Tensor q = Tensor::parameter(shape), k = Tensor::parameter(shape), v = Tensor::parameter(shape);
  CounterRng(1, {0}).fill_normal(q.data(), q.numel(), 0, 1);
  CounterRng(1, {1}).fill_normal(k.data(), k.numel(), 0, 1);
  CounterRng(1, {2}).fill_normal(v.data(), v.numel(), 0, 1);
  std::vector<float> out_grad(q.numel());
  CounterRng(1, {3}).fill_normal(out_grad.data(), q.numel(), 0, 1);
  const size_t rss_before = status_bytes("VmRSS");

  Arena arena;
  // Each run's arena is reset after it, as a training step's is, so that no
  // run pays for the arena's growth into memory fresh from the system.
  const Timing forward = best_of(repeats, [&] {
    {
      const ArenaScope scope(arena);
      const NoGrad no_grad;
      attention::exact_attention(q, k, v, true, precision);
    }
    arena.reset();
  });
  const Timing step = best_of(repeats, [&] {
    {
      const ArenaScope scope(arena);
      const Tensor out = attention::exact_attention(q, k, v, true, precision);
      std::copy(out_grad.begin(), out_grad.end(), out.grad());
      Tape::current().run_backward();
    }
    arena.reset();
  });
  return {forward, step, arena.peak_bytes(), status_bytes("VmHWM") - rss_before};
}

void report(int64_t time, const Measurement& m, const Options& options) {
  if (options.csv) {
    std::printf("%ld,%.6f,%.6f,%zu,%zu,%.6f,%.6f\n", long(time), m.forward.wall, m.step.wall, m.arena_bytes,
                m.rss_bytes, m.forward.cpu, m.step.cpu);
    return;
  }
  const double half_scores = 0.5 * double(time) * double(time) * kDim * double(options.batch) * kHeads;
  const double forward_flops = 4.0 * half_scores, step_flops = 14.0 * half_scores;
  std::printf("%6ld %8.1f %8.1f %7.1f %10.1f %10.1f %7.1f %9.1f %8.1f\n", long(time), m.forward.wall * 1e3,
              m.forward.cpu * 1e3, forward_flops / m.forward.wall * 1e-9, m.step.wall * 1e3, m.step.cpu * 1e3,
              step_flops / m.step.wall * 1e-9, m.arena_bytes / 1e6, m.rss_bytes / 1e6);
}

// Runs body in a child process and waits for it (stdout flushed first).
void in_child_process(const auto& body) {
  std::fflush(stdout);
  const pid_t child = fork();
  if (child == 0) {
    body();
    std::fflush(stdout);
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) std::fprintf(stderr, "child failed\n");
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = bench::parse_or_exit(argv[0], [&] { return parse(argc, argv); });
  if (!options.csv) {
    in_child_process([&] {
      set_num_threads(options.threads);
      const bool bf16 = options.precision == Precision::bf16 && kernels::tiles::has_fast_bfloat16_tiles();
      std::printf("exact attention, causal, B=%ld H=%ld d=%ld, %d threads, best of %d, %s products%s; "
                  "oneDNN sgemm 1024^3: %.1f GF/s\n",
                  long(options.batch), long(kHeads), long(kDim), options.threads, options.repeats,
                  bf16 ? "bf16" : "fp32",
                  options.precision == Precision::bf16 && !bf16 ? " (no bf16 dot product here)" : "", sgemm_gflops());
    });
    std::printf("%6s %8s %8s %7s %10s %10s %7s %9s %8s\n", "T", "fwd ms", "cpu ms", "GF/s", "fwd+bwd ms", "cpu ms",
                "GF/s", "arena MB", "RSS MB");
  }
  for (const int64_t time : options.lengths)
    in_child_process([&] {
      set_num_threads(options.threads);
      report(time, measure(options.batch, time, options.repeats, options.precision), options);
    });
}
