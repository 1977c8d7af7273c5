// The paper's experiment E2 (Haris 2025; docs/design.md §5.10): mean
// absolute error of the attention output against exact attention, for
// n = 1000 queries and keys, d = 64, 10 heads, causal, Q, K, V uniform on
// [-B, B] (drawn once and rescaled for each B, as the authors' prototype
// does), for k ∈ {2, 3, 5, 6, 31} and B ∈ {2, 3, 4, 10, 30, 50}.
// The error grows as the softmax flattens, i.e. as B shrinks. kNN attention's
// output is determined by the inputs; gumbel (L = 32 samples) and knn-tail
// (m = 32 tail keys) show what sampling adds.
//
// usage: bench_paper_errors [threads]
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/parallel.h"
#include "core/rng.h"
#include "layers/attention/approximate_attention.h"
#include "layers/attention/exact_attention.h"

using namespace knnformer;

namespace {

constexpr int64_t kHeads = 10, kTime = 1000, kDim = 64;

// Uniform on [-1, 1]: scaled by B below.
Tensor unit_uniform(uint64_t stream) {
  Tensor t = Tensor::empty({1, kHeads, kTime, kDim});
  CounterRng rng(7, {stream});
  for (int64_t i = 0; i < t.numel(); ++i) t.data()[i] = 2.0f * rng.uniform() - 1.0f;
  return t;
}

Tensor scaled(const Tensor& unit, float bound) {
  Tensor t = unit.clone();
  for (int64_t i = 0; i < t.numel(); ++i) t.data()[i] *= bound;
  return t;
}

double mean_absolute_error(const Tensor& value, const Tensor& reference) {
  double total = 0;
  for (int64_t i = 0; i < value.numel(); ++i) total += std::abs(double(value.data()[i]) - reference.data()[i]);
  return total / static_cast<double>(value.numel());
}

}  // namespace

int main(int argc, char** argv) {
  set_num_threads(argc > 1 ? std::atoi(argv[1]) : 2);
  const NoGrad no_grad;
  const Tensor unit_q = unit_uniform(1), unit_k = unit_uniform(2), unit_v = unit_uniform(3);
  const std::vector<float> bounds{2, 3, 4, 10, 30, 50};
  const std::vector<int64_t> head_sizes{2, 3, 5, 6, 31};
  std::printf("E2: mean absolute output error against exact attention; n=%ld, d=%ld, %ld heads, causal,\n"
              "Q, K, V uniform on [-B, B]; gumbel with L=32 samples, knn-tail with m=32 tail keys\n",
              long(kTime), long(kDim), long(kHeads));
  for (const AttentionKind mode : {AttentionKind::knn, AttentionKind::gumbel, AttentionKind::knn_tail}) {
    std::printf("\n%-8s k:", std::string(name_of(mode)).c_str());
    for (const int64_t k : head_sizes) std::printf(" %10ld", long(k));
    std::printf("\n");
    for (const float bound : bounds) {
      const Tensor q = scaled(unit_q, bound), k = scaled(unit_k, bound), v = scaled(unit_v, bound);
      const Tensor exact = attention::exact_attention(q, k, v);
      std::printf("  B = %-4g  ", bound);
      for (const int64_t head_size : head_sizes) {
        AttentionOptions options;
        options.mode = mode;
        options.knn_k = head_size;
        options.samples = 32;
        const Tensor approximate = attention::approximate_attention(q, k, v, options, {});
        std::printf(" %10.3g", mean_absolute_error(approximate, exact));
      }
      std::printf("\n");
    }
  }
}
