// The paper's experiment E1 (Haris 2025; docs/design.md §5.10): forward time of one
// attention call against n, 10 heads, d = 64, causal, Q, K, V standard
// normal, for exact attention and kNN attention with k = sqrt(n) and
// k = n^(1/4) (exact index). The authors' Python prototype, run on this
// machine, took 5.3 / 18.9 / 13.0 s at n = 5k and 20.3 / 85.8 / 45.7 s at
// n = 10k (exact / sqrt / fourth root), ran out of memory for exact at
// n = 20k, where its kNN took 521 / 142 s.
//
// usage: bench_paper_times [threads] [n,n,...]   (default 5000,...,100000)
//        sizes above 50000 skip exact attention (minutes each, as the table says)
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/parallel.h"
#include "core/rng.h"
#include "layers/attention/approximate_attention.h"
#include "layers/attention/exact_attention.h"

using namespace knnformer;

namespace {

constexpr int64_t kHeads = 10, kDim = 64, kLargestExact = 50000;

Tensor standard_normal(int64_t time, uint64_t stream) {
  Tensor t = Tensor::empty({1, kHeads, time, kDim});
  CounterRng(11, {stream, static_cast<uint64_t>(time)}).fill_normal(t.data(), t.numel(), 0, 1);
  return t;
}

template <class Work>
double seconds_of(Work&& work) {
  const auto start = std::chrono::steady_clock::now();
  work();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  set_num_threads(argc > 1 ? std::atoi(argv[1]) : 2);
  std::vector<int64_t> sizes{5000, 10000, 15000, 20000, 50000, 100000};
  if (argc > 2) {
    sizes.clear();
    std::stringstream list(argv[2]);
    for (std::string part; std::getline(list, part, ',');) sizes.push_back(std::atoll(part.c_str()));
  }
  const NoGrad no_grad;
  std::printf("E1: forward time of one call, %ld heads, d=%ld, causal, Q, K, V standard normal, %d threads\n",
              long(kHeads), long(kDim), num_threads());
  std::printf("%8s %12s %18s %18s\n", "n", "exact s", "knn k=sqrt(n) s", "knn k=n^(1/4) s");
  for (const int64_t n : sizes) {
    const Tensor q = standard_normal(n, 1), k = standard_normal(n, 2), v = standard_normal(n, 3);
    std::printf("%8ld ", long(n));
    if (n <= kLargestExact)
      std::printf("%12.2f ", seconds_of([&] { attention::exact_attention(q, k, v); }));
    else
      std::printf("%12s ", "skipped");
    for (const double root : {2.0, 4.0}) {
      AttentionOptions options;
      options.mode = AttentionKind::knn;
      options.knn_k = static_cast<int64_t>(std::ceil(std::pow(static_cast<double>(n), 1.0 / root)));
      std::printf("%18.2f ", seconds_of([&] { attention::approximate_attention(q, k, v, options, {}); }));
    }
    std::printf("\n");
    std::fflush(stdout);
  }
}
