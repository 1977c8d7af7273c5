// kNN index benchmark (docs/design.md §6, "kNN index"): build time of the exact
// and the clustered index for one causal attention layer, B=1, H=4, d=64,
// k = ceil(sqrt(T)) rounded up to a multiple of 8, for each T; the clustered
// index's recall@k against the exact one and the keys it scans per query;
// and the log-log slope of build time (wall and CPU) against T for each index.
//
// Reported per T and clustered probe count:
//   exact ms, cpu ms   best wall and process CPU time (all threads) of the
//                      exact index's build; on a machine shared with other
//                      work wall time varies with its load, CPU time less
//   clustered ms, cpu  the same for the clustered index (k-means included)
//   speedup            exact CPU time / clustered CPU time (the work done)
//   recall@k           mean over queries of |N_i ∩ exact N_i| / |exact N_i|
//   scanned/query      keys scored per query while searching (the exact
//                      index scores all (T+1)/2 on average)
//
// --data gaussian (the default) draws Q and K with independent N(0, 1)
// entries: no cluster structure, the hard case for the clustered index.
// --data clustered draws them near sqrt(T)/2 shared random centres, so that
// each centre holds about 2·sqrt(T) keys, more than k: data with clusters
// coarser than the index's.
//
// usage: bench_key_index [--threads 2] [--repeats 2] [--T 1024,2048,...]
//                        [--probes 0,2,8] [--data gaussian|clustered] [--non-causal]
//                        [--clustered-only] [--tight-tail]
//   --probes 0 is the default probe count (kDefaultProbes); --clustered-only
//   skips the exact index (no recall, no speedup: printed as 0);
//   --tight-tail builds both indexes as a sampling mode does (KeyIndexOptions::
//   tight_tail: the exact index keeps the top 2k, the clustered one probes by bound).
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "core/parallel.h"
#include "core/rng.h"
#include "core/tensor.h"
#include "layers/attention/attention_options.h"
#include "layers/attention/index/clustered_key_index.h"
#include "layers/attention/index/key_index.h"
#include "layers/attention/index/key_index_factory.h"

#include "bench_arguments.h"
#include "bench_inputs.h"

using namespace knnformer;
using attention::KeyIndex;

namespace {

constexpr int64_t kBatch = 1, kHeads = 4, kDim = 64;

struct Options {
  int threads = 2;
  int repeats = 2;
  std::vector<int64_t> lengths{1024, 2048, 4096, 8192, 16384, 32768};
  std::vector<int64_t> probes{0};
  bench::InputData data = bench::InputData::gaussian;
  bool causal = true;
  bool clustered_only = false;  // skips the exact index, and so recall and speedup
  bool tight_tail = false;      // builds the indexes as for a sampling mode
};

Options parse(int argc, char** argv) {
  namespace po = boost::program_options;
  Options options;
  std::string lengths = bench::integer_list_text(options.lengths), probes = bench::integer_list_text(options.probes);
  std::string data = "gaussian";
  bool non_causal = false;
  po::options_description flags("bench_key_index flags");
  flags.add_options()
      ("threads", po::value(&options.threads)->default_value(options.threads), "threads")
      ("repeats", po::value(&options.repeats)->default_value(options.repeats), "runs per figure; the best is kept")
      ("T", po::value(&lengths)->default_value(lengths), "sequence lengths, comma-separated")
      ("probes", po::value(&probes)->default_value(probes), "clustered index probes, comma-separated (0: default)")
      ("data", po::value(&data)->default_value(data), "Q and K: gaussian or clustered (bench_inputs.h)")
      ("non-causal", po::bool_switch(&non_causal), "every query sees every key")
      ("clustered-only", po::bool_switch(&options.clustered_only), "skip the exact index (no recall, no speedup)")
      ("tight-tail", po::bool_switch(&options.tight_tail), "build the indexes as for a sampling mode");
  bench::parse_flags(argc, argv, flags);
  require(options.threads >= 1 && options.repeats >= 1, "--threads and --repeats must be at least 1");
  options.lengths = bench::parse_integer_list("--T", lengths, 1);
  options.probes = bench::parse_integer_list("--probes", probes, 0);
  options.data = parse_enum<bench::InputData>(data, "--data");
  options.causal = !non_causal;
  return options;
}

// Q or K, as bench_inputs.h describes.
Tensor draw(const Shape& shape, bench::InputData data, uint64_t seed) {
  Tensor t = Tensor::empty(shape);
  bench::fill_inputs(t.data(), shape.numel() / kDim, kDim, shape[2], data, CounterRng(seed, {0}),
                     CounterRng(seed, {2}));
  return t;
}

double cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return double(now.tv_sec) + 1e-9 * double(now.tv_nsec);
}

struct Timed {
  std::unique_ptr<KeyIndex> index;  // from the last run
  double wall = std::numeric_limits<double>::infinity();
  double cpu = std::numeric_limits<double>::infinity();
};

// Build times against T, for the slopes.
struct Series {
  std::vector<double> wall, cpu;
  void add(const Timed& timed) {
    wall.push_back(timed.wall);
    cpu.push_back(timed.cpu);
  }
};

// The best wall and CPU time of `repeats` builds.
Timed time_build(int repeats, const attention::KeyIndexOptions& options, const Tensor& q, const Tensor& k,
                 bool causal) {
  Timed timed;
  for (int r = 0; r < repeats; ++r) {
    timed.index.reset();
    const double cpu_start = cpu_seconds();
    const auto start = std::chrono::steady_clock::now();
    timed.index = attention::build_key_index(options, q, k, causal);
    timed.wall = std::min(timed.wall, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    timed.cpu = std::min(timed.cpu, cpu_seconds() - cpu_start);
  }
  return timed;
}

// Least-squares slope of log(y) against log(x).
double log_log_slope(const std::vector<double>& x, const std::vector<double>& y) {
  double mean_x = 0, mean_y = 0;
  for (size_t i = 0; i < x.size(); ++i) mean_x += std::log(x[i]) / x.size(), mean_y += std::log(y[i]) / y.size();
  double covariance = 0, variance = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    covariance += (std::log(x[i]) - mean_x) * (std::log(y[i]) - mean_y);
    variance += (std::log(x[i]) - mean_x) * (std::log(x[i]) - mean_x);
  }
  return covariance / variance;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = bench::parse_or_exit(argv[0], [&] { return parse(argc, argv); });
  set_num_threads(options.threads);
  std::printf("kNN index build, %s, B=%ld H=%ld d=%ld, %s data, %d threads, best of %d%s\n",
              options.causal ? "causal" : "non-causal", long(kBatch), long(kHeads), long(kDim),
              std::string(name_of(options.data)).c_str(), options.threads, options.repeats,
              options.tight_tail ? ", as for sampling (tight tail)" : "");
  std::printf("%6s %4s %9s %9s %6s %6s %9s %9s %9s %9s %13s\n", "T", "k", "exact ms", "cpu ms", "probes", "C",
              "clust ms", "cpu ms", "speedup", "recall@k", "scanned/query");

  std::vector<double> lengths;
  Series exact_series;
  std::vector<Series> clustered_series(options.probes.size());
  for (const int64_t time : options.lengths) {
    const Shape shape{kBatch, kHeads, time, kDim};
    const Tensor q = draw(shape, options.data, 1), k = draw(shape, options.data, 2);
    const int64_t head_size = choose_knn_k({}, time, kDim);
    const attention::KeyIndexOptions exact_options{
        .kind = KeyIndexKind::exact, .k = head_size, .tight_tail = options.tight_tail};
    const Timed exact =
        options.clustered_only ? Timed{} : time_build(options.repeats, exact_options, q, k, options.causal);
    lengths.push_back(double(time));
    exact_series.add(exact);
    for (size_t p = 0; p < options.probes.size(); ++p) {
      const attention::KeyIndexOptions clustered_options{.kind = KeyIndexKind::clustered,
                                                         .k = head_size,
                                                         .probes = options.probes[p],
                                                         .seed = 7,
                                                         .tight_tail = options.tight_tail};
      const Timed clustered = time_build(options.repeats, clustered_options, q, k, options.causal);
      clustered_series[p].add(clustered);
      const attention::IndexStatistics statistics = clustered.index->statistics();
      std::printf("%6ld %4ld %9.1f %9.1f %6ld %6ld %9.1f %9.1f %8.1fx %9.3f %13.1f\n", long(time), long(head_size),
                  exact.index ? exact.wall * 1e3 : 0.0, exact.index ? exact.cpu * 1e3 : 0.0,
                  long(options.probes[p] > 0 ? options.probes[p] : attention::kDefaultProbes),
                  long(attention::default_cluster_count(time)), clustered.wall * 1e3, clustered.cpu * 1e3,
                  exact.index ? exact.cpu / clustered.cpu : 0.0,
                  exact.index ? attention::recall_at_k(*clustered.index, *exact.index) : 0.0,
                  statistics.keys_scored / statistics.queries);
      std::fflush(stdout);
    }
  }
  if (lengths.size() < 2) return 0;
  std::printf("log-log slope of build time against T (wall, cpu):");
  if (!options.clustered_only)
    std::printf(" exact %.2f, %.2f;", log_log_slope(lengths, exact_series.wall),
                log_log_slope(lengths, exact_series.cpu));
  for (size_t p = 0; p < options.probes.size(); ++p)
    std::printf(" clustered (probes %ld) %.2f, %.2f;",
                long(options.probes[p] > 0 ? options.probes[p] : attention::kDefaultProbes),
                log_log_slope(lengths, clustered_series[p].wall), log_log_slope(lengths, clustered_series[p].cpu));
  std::printf("\n");
}
