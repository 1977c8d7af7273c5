// Attention benchmark: every attention mode against exact attention,
// one causal layer, B=1, H=4, d=64, Q, K, V and dO standard normal, for each
// sequence length T: forward and forward + backward wall time (each after an
// untimed forward + backward, as in training's steady state), peak memory,
// the relative L2 error of O, dQ, dK, dV against exact attention, and the
// log-log slope of time against T.
//
// Each (mode, T) runs in a child process of its own, so that its peak
// resident memory (getrusage's high-water mark) is its own; exact attention's
// child also writes its O, dQ, dK, dV to a temporary file that the other
// modes' children compare with. Defaults: k = ceil(sqrt(T)) rounded up to a
// multiple of 8, L = 32.
//
// --data gaussian (the default) draws Q and K with independent N(0, 1)
// entries; --data clustered draws them around shared centres, the structure a
// clustered index can use (bench_inputs.h). V and dO are N(0, 1) either way.
//
// usage: bench_attention [--threads 2] [--T 1024,2048,...] [--modes NAME,...]
//                        [--data gaussian|clustered]
//   modes: exact knn knn-clustered gumbel gumbel-clustered gumbel-none knn-tail
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "core/arena.h"
#include "core/autograd.h"
#include "core/parallel.h"
#include "core/rng.h"
#include "layers/attention/approximate_attention.h"
#include "layers/attention/exact_attention.h"
#include "layers/attention/measurement/attention_diagnostics.h"
#include "layers/attention/measurement/attention_fidelity.h"

#include "bench_arguments.h"
#include "bench_inputs.h"
#include "bench_modes.h"

using namespace knnformer;

namespace {

constexpr int64_t kHeads = 4, kDim = 64;

using Mode = bench::NamedMode;

// What one child measured, sent back through a pipe.
struct Result {
  double forward_ms = 0, step_ms = 0, peak_mb = 0;
  double error[4] = {0, 0, 0, 0};  // O, dQ, dK, dV
  double tail_per_sample = 0;
  bool ok = false;
};

double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double peak_resident_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;
}

// Input number `stream` (1 to 4: Q, K, V, dO) for length `time`.
Tensor draw_input(int64_t time, uint64_t stream, bench::InputData data) {
  Tensor t = Tensor::parameter({1, kHeads, time, kDim});
  const auto length = static_cast<uint64_t>(time);
  bench::fill_inputs(t.data(), kHeads * time, kDim, time, data, CounterRng(2025, {stream, length}),
                     CounterRng(2025, {stream, length, 2}));
  return t;
}

// Where exact attention's child leaves its results for the others: named
// after the parent, whose pid every child shares as its parent pid.
std::string reference_path(int64_t time, pid_t parent) {
  return "/tmp/knnformer-bench-attention-" + std::to_string(parent) + "-" + std::to_string(time) + ".bin";
}

Result measure(const Mode& mode, int64_t time, bench::InputData data) {
  const Tensor q = draw_input(time, 1, data), k = draw_input(time, 2, data);
  const Tensor v = draw_input(time, 3, bench::InputData::gaussian);
  const Tensor out_grad = draw_input(time, 4, bench::InputData::gaussian);
  const auto attend = [&] {
    if (mode.options.mode == AttentionKind::exact) return attention::exact_attention(q, k, v);
    return attention::approximate_attention(q, k, v, mode.options, {});
  };
  Result result;
  // One untimed forward + backward first, as a training step has had the
  // step before it: a process's first pass touches its buffers fresh, and
  // on this machine the kernel zeroing them costs about 2 ms per MB, which
  // the steady state (the arena, the large-buffer pool) never pays again.
  {
    const Tensor out = attend();
    std::copy_n(out_grad.data(), out.numel(), out.grad());
    Tape::current().run_backward();
  }
  for (const Tensor* input : {&q, &k, &v}) std::fill_n(input->grad(), input->numel(), 0.0f);
  {
    const NoGrad no_grad;
    const double start = now_ms();
    attend();
    result.forward_ms = now_ms() - start;
  }
  attention::take_attention_diagnostics();
  const double start = now_ms();
  const Tensor out = attend();
  std::copy_n(out_grad.data(), out.numel(), out.grad());
  Tape::current().run_backward();
  result.step_ms = now_ms() - start;
  result.peak_mb = peak_resident_mb();
  result.tail_per_sample = attention::take_attention_diagnostics().tail_members_per_sample();

  const int64_t count = out.numel();
  const float* values[4] = {out.data(), q.grad(), k.grad(), v.grad()};
  if (mode.options.mode == AttentionKind::exact) {
    std::ofstream file(reference_path(time, getppid()), std::ios::binary);
    for (const float* value : values) file.write(reinterpret_cast<const char*>(value), count * sizeof(float));
  } else {
    std::ifstream file(reference_path(time, getppid()), std::ios::binary);
    std::vector<float> reference(count);
    for (int which = 0; which < 4 && file; ++which) {
      file.read(reinterpret_cast<char*>(reference.data()), count * sizeof(float));
      result.error[which] = file ? attention::relative_l2_error(values[which], reference.data(), count) : NAN;
    }
  }
  result.ok = true;
  return result;
}

// Runs measure() in a child process on `threads` threads and returns what it
// sent back. The parent never starts OpenMP: a GNU OpenMP thread pool does
// not survive fork(), and a child's first parallel region would wait for it.
Result measure_in_child(const Mode& mode, int64_t time, bench::InputData data, int threads) {
  int channel[2];
  if (pipe(channel) != 0) return {};
  std::fflush(stdout);
  const pid_t child = fork();
  if (child == 0) {
    close(channel[0]);
    set_num_threads(threads);
    const Result result = measure(mode, time, data);
    const ssize_t written = write(channel[1], &result, sizeof result);
    _exit(written == sizeof result ? 0 : 1);
  }
  close(channel[1]);
  Result result;
  const ssize_t got = read(channel[0], &result, sizeof result);
  close(channel[0]);
  int status = 0;
  waitpid(child, &status, 0);
  return got == sizeof result ? result : Result{};
}

double log_log_slope(const std::vector<double>& x, const std::vector<double>& y) {
  const size_t n = x.size();
  double mean_x = 0, mean_y = 0;
  for (size_t i = 0; i < n; ++i) mean_x += std::log(x[i]) / n, mean_y += std::log(y[i]) / n;
  double covariance = 0, variance = 0;
  for (size_t i = 0; i < n; ++i) {
    covariance += (std::log(x[i]) - mean_x) * (std::log(y[i]) - mean_y);
    variance += std::pow(std::log(x[i]) - mean_x, 2);
  }
  return covariance / variance;
}

struct Options {
  int threads = 2;
  std::vector<int64_t> lengths{1024, 2048, 4096, 8192, 16384, 32768};
  std::vector<Mode> modes;
  bench::InputData data = bench::InputData::gaussian;
};

Options parse(int argc, char** argv) {
  namespace po = boost::program_options;
  Options options;
  std::string lengths = bench::integer_list_text(options.lengths), data = "gaussian";
  std::string modes = bench::benchmark_mode_names();
  po::options_description flags("bench_attention flags");
  flags.add_options()
      ("threads", po::value(&options.threads)->default_value(options.threads), "threads")
      ("T", po::value(&lengths)->default_value(lengths), "sequence lengths, comma-separated")
      ("modes", po::value(&modes)->default_value(modes), "attention modes, comma-separated")
      ("data", po::value(&data)->default_value(data), "Q and K: gaussian or clustered (bench_inputs.h)");
  bench::parse_flags(argc, argv, flags);
  require(options.threads >= 1, "--threads must be at least 1");
  options.lengths = bench::parse_integer_list("--T", lengths, 1);
  options.modes = bench::parse_modes("--modes", modes);
  options.data = parse_enum<bench::InputData>(data, "--data");
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = bench::parse_or_exit(argv[0], [&] { return parse(argc, argv); });
  const int threads = options.threads;
  const std::vector<int64_t>& lengths = options.lengths;
  const std::vector<Mode>& modes = options.modes;
  std::printf("attention, causal, B=1 H=%ld d=%ld, %s Q and K, %d threads; k = ceil(sqrt(T)) to a multiple of 8, "
              "L = 32\n",
              long(kHeads), long(kDim), std::string(name_of(options.data)).c_str(), threads);
  std::printf("%-17s %6s %10s %10s %8s %8s %9s %9s %9s %9s %8s\n", "mode", "T", "fwd ms", "fwd+bwd ms", "peak MB",
              "vs exact", "err O", "err dQ", "err dK", "err dV", "tail/smp");
  std::map<std::string, std::vector<double>> step_times;
  for (const int64_t time : lengths) {
    double exact_ms = 0;
    for (const Mode& mode : modes) {
      const Result r = measure_in_child(mode, time, options.data, threads);
      if (!r.ok) {
        std::printf("%-17s %6ld   failed\n", mode.name.c_str(), long(time));
        continue;
      }
      if (mode.options.mode == AttentionKind::exact) exact_ms = r.step_ms;
      step_times[mode.name].push_back(r.step_ms);
      std::printf("%-17s %6ld %10.1f %10.1f %8.0f %7.2fx %9.4f %9.4f %9.4f %9.4f %8.2f\n", mode.name.c_str(),
                  long(time), r.forward_ms, r.step_ms, r.peak_mb, exact_ms > 0 ? exact_ms / r.step_ms : NAN,
                  r.error[0], r.error[1], r.error[2], r.error[3], r.tail_per_sample);
      std::fflush(stdout);
    }
    std::remove(reference_path(time, getpid()).c_str());
  }
  if (lengths.size() < 2) return 0;  // a slope needs two lengths
  std::printf("log-log slope of forward+backward time against T:");
  std::vector<double> x(lengths.begin(), lengths.end());
  for (const Mode& mode : modes)
    if (step_times[mode.name].size() == x.size())
      std::printf("  %s %.2f", mode.name.c_str(), log_log_slope(x, step_times[mode.name]));
  std::printf("\n");
}
