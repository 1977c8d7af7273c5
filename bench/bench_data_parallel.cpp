// Data-parallel benchmark: a training step of cfgA or cfgB shared by the
// processes of an mpirun job, against the same step in one process, and the
// cost of the gradient sum across processes, with a projection to clusters.
//
//   build/bench_data_parallel --threads 2 --micro-batches 2 [--steps 8] [--config cfgA|cfgB]
//   mpirun -np 2 build/bench_data_parallel --threads 1 --micro-batches 2 [--steps 8] [--config ...]
//
// A step is --micro-batches micro-batches of the configuration's batch, shared
// by the processes (each takes micro-batches / processes of them), each
// forward and backward, then the gradient sum (train/gradient_sum.h) and an
// AdamW update: what Trainer::train_step does, without the data loader. Both
// commands above compute the same step, bit for bit; the figures are the
// step's median time, its tokens/s, and the median time of the gradient sum
// across processes (its share of the step).
//
// Then, on two or more processes, the allreduce alone: its time for 8 bytes
// (the latency) and for the configuration's gradient (the bandwidth on this
// machine's loopback, shared memory), and the scale-out projection of a ring
// allreduce (docs/design.md §8.6): t(N) = 2(N−1)·α·buckets + 2(N−1)/N · bytes/β.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "core/arena.h"
#include "core/autograd.h"
#include "core/ops/elementwise.h"
#include "core/parallel.h"
#include "core/rng.h"
#include "layers/gpt.h"
#include "optim/optimizer.h"
#include "train/gradient_sum.h"
#include "train/process_group.h"

using namespace knnformer;

namespace {

namespace po = boost::program_options;

struct Config {
  std::string name;
  int64_t batch, time, n_layer, n_head, n_embd, vocab;
};

const std::vector<Config> kConfigs = {{"cfgA", 8, 256, 4, 4, 256, 256}, {"cfgB", 4, 1024, 6, 6, 384, 256}};

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// The slowest process's figure: the one the step waits for.
double slowest(const ProcessGroup& group, double value) {
  std::vector<double> values{value};
  group.maximum(values);
  return values[0];
}

struct StepFigures {
  double step_seconds = 0;
  double summing_seconds = 0;  // the slowest process's allreduce
  double waiting_seconds = 0;  // the longest wait for the slowest process
  int64_t parameters = 0;
};

StepFigures time_steps(const Config& c, const ProcessGroup& group, int64_t micro_batches, int steps) {
  const ModelConfig config{.vocab_size = c.vocab, .n_layer = c.n_layer, .n_head = c.n_head, .n_embd = c.n_embd,
                           .context = c.time, .dropout = 0, .attention = {}};
  const GPT model(config, 1);
  auto optimizer = make_adamw(model.parameters(), {}, GPT::is_decayed);
  const int64_t here = micro_batches / group.size(), first = group.rank() * here;
  GradientSum gradient(model.parameters(), here);
  Arena arena;
  std::vector<double> step_times, summing_times, waiting_times;
  for (int step = 0; step < steps + 2; ++step) {  // two warm-up steps
    group.barrier();
    const double start = now();
    for (int64_t micro = first; micro < first + here; ++micro) {
      CounterRng rng(2, {uint64_t(step), uint64_t(micro)});
      std::vector<int32_t> tokens(c.batch * c.time), targets(c.batch * c.time);
      for (auto& t : tokens) t = static_cast<int32_t>(rng.below(c.vocab));
      for (auto& t : targets) t = static_cast<int32_t>(rng.below(c.vocab));
      {
        const ArenaScope scope(arena);
        const Tensor loss = model.loss(tokens, targets, c.batch, c.time, {1, uint64_t(step), uint64_t(micro), true});
        backward(ops::scale(loss, 1.0f / static_cast<float>(micro_batches)));
      }
      arena.reset();
      gradient.add_micro_batch();
    }
    const GradientSumTimes sum = gradient.finish(group);
    optimizer->step(1e-4);
    for (const auto& p : model.parameters()) p.tensor.zero_grad();
    const double step_seconds = slowest(group, now() - start);
    const double summing = slowest(group, sum.summing), waiting = slowest(group, sum.waiting);
    if (step < 2) continue;
    step_times.push_back(step_seconds);
    summing_times.push_back(summing);
    waiting_times.push_back(waiting);
  }
  return {median(step_times), median(summing_times), median(waiting_times), model.parameter_count()};
}

double time_allreduce(const ProcessGroup& group, int64_t floats, int repeats) {
  std::vector<float> values(static_cast<size_t>(floats), 1.0f);
  std::vector<double> times;
  for (int r = 0; r < repeats; ++r) {
    group.barrier();
    const double start = now();
    for (int64_t begin = 0; begin < floats; begin += kGradientBucketBytes / 4)
      group.sum(std::span(values).subspan(begin, std::min<int64_t>(kGradientBucketBytes / 4, floats - begin)));
    times.push_back(slowest(group, now() - start));
  }
  return median(times);
}

// Ring allreduce of `bytes` over n processes: 2(n−1) steps, each a message of
// bytes/n per bucket, costing latency α and bytes/n ÷ bandwidth.
double ring_allreduce_seconds(double bytes, int n, double bandwidth_bytes_per_s, double latency_s) {
  const double buckets = std::ceil(bytes / double(kGradientBucketBytes));
  return 2.0 * (n - 1) * latency_s * buckets + 2.0 * (n - 1) / n * bytes / bandwidth_bytes_per_s;
}

// Weak scaling: each process keeps its micro-batches, so its compute per
// step stays this machine's, while the allreduce grows with N. The last
// column is where scaling stops: the least compute per process and step
// that keeps the sum under a tenth of the step without overlap (a smaller
// batch per process, or a faster CPU, falls below it).
void print_projection(const Config& c, double gradient_bytes, double compute_seconds) {
  constexpr double kLatency = 5e-6;  // per message: MPI over RDMA or a tuned TCP stack in one datacenter
  std::printf("projection, %s: a step's compute %.1f ms per process (measured here), gradient %.1f MB, "
              "ring allreduce with latency %.0f us per message\n",
              c.name.c_str(), compute_seconds * 1e3, gradient_bytes / 1e6, kLatency * 1e6);
  std::printf("  %-6s %-9s %12s %18s %19s %22s\n", "ranks", "network", "allreduce ms", "efficiency serial",
              "efficiency overlap", "compute for 90% (ms)");
  for (const double gigabits : {25.0, 100.0})
    for (const int n : {8, 64, 512}) {
      const double t = ring_allreduce_seconds(gradient_bytes, n, gigabits * 1e9 / 8, kLatency);
      // Serial: the sum follows the backward pass (as built). Overlapped: the
      // buckets are summed while the backward pass (two thirds of the
      // compute) goes on, so only what exceeds it shows.
      const double serial = compute_seconds / (compute_seconds + t);
      const double overlapped = compute_seconds / (compute_seconds + std::max(0.0, t - compute_seconds * 2 / 3));
      std::printf("  %-6d %4.0f Gb/s %12.2f %17.0f%% %18.0f%% %22.0f\n", n, gigabits, t * 1e3, 100 * serial,
                  100 * overlapped, 9 * t * 1e3);
    }
}

}  // namespace

int main(int argc, char** argv) {
  po::options_description options("bench_data_parallel");
  options.add_options()("threads", po::value<int>()->default_value(1), "threads per process")(
      "micro-batches", po::value<int64_t>()->default_value(2), "micro-batches of a step, over all processes")(
      "steps", po::value<int>()->default_value(8), "timed steps (after two warm-up steps)")(
      "config", po::value<std::string>()->default_value(""), "cfgA or cfgB (both by default)")(
      "repeats", po::value<int>()->default_value(20), "allreduce repetitions");
  po::variables_map arguments;
  po::store(po::parse_command_line(argc, argv, options), arguments);
  const ProcessGroup& group = ProcessGroup::world();
  const auto micro_batches = arguments["micro-batches"].as<int64_t>();
  if (micro_batches % group.size() != 0) {
    std::fprintf(stderr, "--micro-batches %ld is not shared evenly by %d processes\n", long(micro_batches),
                 group.size());
    return 2;
  }
  set_num_threads(arguments["threads"].as<int>());
  const std::string only = arguments["config"].as<std::string>();
  if (group.is_root())
    std::printf("%d process(es) x %d thread(s), %ld micro-batches a step; medians of %d steps\n", group.size(),
                num_threads(), long(micro_batches), arguments["steps"].as<int>());
  for (const Config& c : kConfigs) {
    if (!only.empty() && only != c.name) continue;
    const StepFigures figures = time_steps(c, group, micro_batches, arguments["steps"].as<int>());
    const double tokens = double(c.batch * c.time * micro_batches);
    const double gradient_bytes = 4.0 * double(figures.parameters);
    if (group.is_root())
      std::printf("%s B=%ld T=%ld: %8.1f ms/step %9.0f tok/s; gradient sum %.2f ms (%.1f%% of the step), "
                  "waiting for the slowest process %.2f ms (%.1f%%), gradient %.1f MB\n",
                  c.name.c_str(), long(c.batch), long(c.time), figures.step_seconds * 1e3,
                  tokens / figures.step_seconds, figures.summing_seconds * 1e3,
                  100 * figures.summing_seconds / figures.step_seconds, figures.waiting_seconds * 1e3,
                  100 * figures.waiting_seconds / figures.step_seconds, gradient_bytes / 1e6);
    if (!group.distributed()) continue;
    const int repeats = arguments["repeats"].as<int>();
    const double latency = time_allreduce(group, 2, repeats);
    const double whole = time_allreduce(group, figures.parameters, repeats);
    if (group.is_root()) {
      std::printf("allreduce on %d processes here: 8 B in %.1f us; %.1f MB in %.2f ms (%.1f GB/s algorithm "
                  "bandwidth)\n",
                  group.size(), latency * 1e6, gradient_bytes / 1e6, whole * 1e3, gradient_bytes / whole / 1e9);
      print_projection(c, gradient_bytes, figures.step_seconds - figures.summing_seconds - figures.waiting_seconds);
    }
  }
}
