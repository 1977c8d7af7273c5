// Training-step benchmark: forward, backward and an AdamW update of a whole
// GPT, in tokens/s, for the project's reference configurations: cfgA and cfgB
// (run by default), cfgTiny (nanoGPT's "baby" character-level Shakespeare
// model on a CPU, where per-op overheads dominate) and cfgC (GPT-2 small's
// shape), in fp32 or with the linear layers in bf16 (core/precision.h). The
// same run also times oneDNN's sgemm on a transformer shape and the machine's
// fused multiply-add peak (independent FMA chains in registers, every
// thread), so the model's achieved GFLOP/s can be read against both ceilings
// of the moment; in bf16, oneDNN's bf16 product on that shape and the peak of
// the CPU's bf16 dot-product instruction (AVX512_BF16's vdpbf16ps) too.
// bench/train_step_reference.py measures PyTorch on the same configurations.
//
// usage: bench_train_step [threads] [steps] [CONFIGS] [fp32|bf16]   (CONFIGS: a comma-separated list
//        of cfgTiny, cfgA, cfgB, cfgC; cfgA,cfgB by default)
//
// This file is compiled once per SIMD target, as the kernels are, so that the
// peak is measured with the target the kernels dispatch to (KNNFORMER_SIMD).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "bench/bench_train_step.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include <omp.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <cstdio>

// Shared by the per-target peak and the bf16 one; defined on the first of
// the passes that hwy/foreach_target.h makes over this file.
#ifndef KNNFORMER_BENCH_TRAIN_STEP_PEAK
#define KNNFORMER_BENCH_TRAIN_STEP_PEAK
namespace knnformer::bench {

// The GFLOP/s of chains() run on every thread at once, each call doing
// `flops` and returning a value that depends on all of its work (summed and
// tested, so that the compiler cannot drop the work).
template <class Chains>
double gflops_on_every_thread(double flops, Chains&& chains) {
  int thread_count = 1;
  float sink = 0.0f;
  const double start = omp_get_wtime();
#pragma omp parallel reduction(+ : sink)
  {
#pragma omp single
    thread_count = omp_get_num_threads();
    sink += chains();
  }
  const double seconds = omp_get_wtime() - start;
  if (sink == 0.0f) std::printf(" ");
  return flops * thread_count / seconds * 1e-9;
}

}  // namespace knnformer::bench
#endif

HWY_BEFORE_NAMESPACE();
namespace knnformer::bench::HWY_NAMESPACE {

namespace hn = hwy::HWY_NAMESPACE;

// Independent chains of multiply-adds on registers, on every thread: the
// arithmetic ceiling no kernel can pass. 12 chains cover the latency of a
// fused multiply-add on current cores (4 cycles, up to 2 issued per cycle);
// targets without one (SSE4) multiply and add. Each chain is named: vectors
// of some targets (SVE) cannot form arrays.
double fma_peak_gflops() {
  constexpr long kIterations = 20'000'000;
  constexpr int kChains = 12;
  const hn::ScalableTag<float> d;
  const auto lanes = static_cast<double>(hn::Lanes(d));
  return gflops_on_every_thread(2.0 * lanes * kChains * kIterations, [&]() HWY_ATTR {
    const auto factor = hn::Set(d, 0.9999999f), offset = hn::Set(d, 1e-8f);
    auto c0 = hn::Set(d, 1.0f), c1 = hn::Set(d, 1.1f), c2 = hn::Set(d, 1.2f), c3 = hn::Set(d, 1.3f);
    auto c4 = hn::Set(d, 1.4f), c5 = hn::Set(d, 1.5f), c6 = hn::Set(d, 1.6f), c7 = hn::Set(d, 1.7f);
    auto c8 = hn::Set(d, 1.8f), c9 = hn::Set(d, 1.9f), c10 = hn::Set(d, 2.0f), c11 = hn::Set(d, 2.1f);
    for (long iteration = 0; iteration < kIterations; ++iteration) {
      c0 = hn::MulAdd(c0, factor, offset), c1 = hn::MulAdd(c1, factor, offset), c2 = hn::MulAdd(c2, factor, offset);
      c3 = hn::MulAdd(c3, factor, offset), c4 = hn::MulAdd(c4, factor, offset), c5 = hn::MulAdd(c5, factor, offset);
      c6 = hn::MulAdd(c6, factor, offset), c7 = hn::MulAdd(c7, factor, offset), c8 = hn::MulAdd(c8, factor, offset);
      c9 = hn::MulAdd(c9, factor, offset), c10 = hn::MulAdd(c10, factor, offset);
      c11 = hn::MulAdd(c11, factor, offset);
    }
    const auto all = hn::Add(hn::Add(hn::Add(c0, c1), hn::Add(c2, c3)),
                             hn::Add(hn::Add(hn::Add(c4, c5), hn::Add(c6, c7)),
                                     hn::Add(hn::Add(c8, c9), hn::Add(c10, c11))));
    return hn::GetLane(all);
  });
}

}  // namespace knnformer::bench::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/arena.h"
#include "core/autograd.h"
#include "core/enum_names.h"
#include "core/gemm.h"
#include "core/kernels/bfloat16.h"
#include "core/kernels/simd_target.h"
#include "core/parallel.h"
#include "core/rng.h"
#include "layers/gpt.h"
#include "optim/optimizer.h"

namespace knnformer::bench {

HWY_EXPORT(fma_peak_gflops);

// The peak with the SIMD target the kernels dispatch to.
double fma_peak() { return KNNFORMER_DISPATCH(fma_peak_gflops)(); }

#if defined(__x86_64__)
// Independent chains of AVX512_BF16 dot products on every thread, each
// instruction 32 bf16 products summed pairwise into 16 fp32 lanes (64 flops).
__attribute__((target("avx512f,avx512bf16"))) double bf16_dot_peak_gflops_x86() {
  constexpr long kIterations = 20'000'000;
  return gflops_on_every_thread(64.0 * 12 * kIterations, [&]() __attribute__((target("avx512f,avx512bf16"))) {
    const __m512bh a = _mm512_cvtne2ps_pbh(_mm512_set1_ps(0.5f), _mm512_set1_ps(0.25f));
    const __m512bh b = _mm512_cvtne2ps_pbh(_mm512_set1_ps(1e-8f), _mm512_set1_ps(-1e-8f));
    // Distinct starting values, so that the compiler cannot merge the chains.
    __m512 c0 = _mm512_set1_ps(1.0f), c1 = _mm512_set1_ps(1.1f), c2 = _mm512_set1_ps(1.2f);
    __m512 c3 = _mm512_set1_ps(1.3f), c4 = _mm512_set1_ps(1.4f), c5 = _mm512_set1_ps(1.5f);
    __m512 c6 = _mm512_set1_ps(1.6f), c7 = _mm512_set1_ps(1.7f), c8 = _mm512_set1_ps(1.8f);
    __m512 c9 = _mm512_set1_ps(1.9f), c10 = _mm512_set1_ps(2.0f), c11 = _mm512_set1_ps(2.1f);
    for (long iteration = 0; iteration < kIterations; ++iteration) {
      c0 = _mm512_dpbf16_ps(c0, a, b), c1 = _mm512_dpbf16_ps(c1, a, b), c2 = _mm512_dpbf16_ps(c2, a, b);
      c3 = _mm512_dpbf16_ps(c3, a, b), c4 = _mm512_dpbf16_ps(c4, a, b), c5 = _mm512_dpbf16_ps(c5, a, b);
      c6 = _mm512_dpbf16_ps(c6, a, b), c7 = _mm512_dpbf16_ps(c7, a, b), c8 = _mm512_dpbf16_ps(c8, a, b);
      c9 = _mm512_dpbf16_ps(c9, a, b), c10 = _mm512_dpbf16_ps(c10, a, b), c11 = _mm512_dpbf16_ps(c11, a, b);
    }
    const __m512 all = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(c0, c1), _mm512_add_ps(c2, c3)),
                                     _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(c4, c5), _mm512_add_ps(c6, c7)),
                                                   _mm512_add_ps(_mm512_add_ps(c8, c9), _mm512_add_ps(c10, c11))));
    alignas(64) float lanes[16];
    _mm512_store_ps(lanes, all);
    return lanes[0];
  });
}
#endif

// The bf16 dot-product peak, or 0 where the CPU has no such instruction.
double bf16_dot_peak() {
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx512bf16")) return bf16_dot_peak_gflops_x86();
#endif
  return 0;
}

}  // namespace knnformer::bench

using namespace knnformer;

namespace {

struct Config {
  const char* name;
  int64_t batch, time, n_layer, n_head, n_embd, vocab;
};

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

// Forward and backward flops of one token: 6 per weight (matmuls) plus
// attention's 6·T·C per layer for causal scores and values (half of T², forward 4, backward 8).
double flops_per_token(const Config& c) {
  const double weights = c.n_layer * 12.0 * c.n_embd * c.n_embd + double(c.vocab) * c.n_embd;
  return 6.0 * weights + c.n_layer * 6.0 * c.time * c.n_embd;
}

// The GFLOP/s of a 2048x768x256 product (a linear layer's of cfgA), median of 11.
double product_gflops(Precision precision) {
  const int64_t m = 2048, n = 768, k = 256;
  std::vector<float> a(m * k, 0.5f), b(k * n, 0.25f), out(m * n);
  std::vector<uint16_t> a_bf16(a.size()), b_bf16(b.size());
  kernels::to_bfloat16(a.data(), a_bf16.data(), m * k);
  kernels::to_bfloat16(b.data(), b_bf16.data(), k * n);
  std::vector<double> times;
  for (int r = 0; r < 11; ++r) {
    const double start = now();
    if (precision == Precision::bf16)
      gemm::matmul({1, m, n, k, false, true}, a_bf16.data(), b_bf16.data(), out.data());
    else
      gemm::sgemm(false, true, m, n, k, 1.0f, a.data(), k, b.data(), k, 0.0f, out.data(), n);
    times.push_back(now() - start);
  }
  std::sort(times.begin(), times.end());
  return 2.0 * m * n * k / times[5] * 1e-9;
}

void run(const Config& c, int steps, Precision precision) {
  const ModelConfig config{.vocab_size = c.vocab, .n_layer = c.n_layer, .n_head = c.n_head, .n_embd = c.n_embd,
                           .context = c.time, .dropout = 0, .attention = {}};
  const GPT model(config, 1);
  auto optimizer = make_adamw(model.parameters(), {}, GPT::is_decayed);
  std::vector<int32_t> tokens(c.batch * c.time), targets(c.batch * c.time);
  CounterRng rng(2, {});
  for (auto& t : tokens) t = static_cast<int32_t>(rng.below(c.vocab));
  for (auto& t : targets) t = static_cast<int32_t>(rng.below(c.vocab));

  Arena arena;
  std::vector<double> times;
  for (int step = 0; step < steps + 2; ++step) {  // two warm-up steps
    const double start = now();
    {
      const ArenaScope scope(arena);
      backward(model.loss(tokens, targets, c.batch, c.time, {1, uint64_t(step), 0, true, precision}));
    }
    optimizer->step(1e-4);
    for (const auto& p : model.parameters()) p.tensor.zero_grad();
    arena.reset();
    if (step >= 2) times.push_back(now() - start);
  }
  std::sort(times.begin(), times.end());
  const double median = times[times.size() / 2];
  const double tokens_per_s = c.batch * c.time / median;
  std::printf("%-7s B=%-2ld T=%-5ld L=%ld H=%ld C=%-4ld  %8.1f ms/step  %9.0f tok/s  %6.1f GFLOP/s\n", c.name,
              long(c.batch), long(c.time), long(c.n_layer), long(c.n_head), long(c.n_embd), median * 1e3,
              tokens_per_s, tokens_per_s * flops_per_token(c) * 1e-9);
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  const int steps = argc > 2 ? std::atoi(argv[2]) : 10;
  set_num_threads(threads);
  const std::string_view chosen = argc > 3 ? argv[3] : "cfgA,cfgB";
  const auto precision = parse_enum<Precision>(argc > 4 ? argv[4] : "fp32", "precision");
  if (precision == Precision::bf16 && !gemm::can_multiply_bf16()) {
    std::fprintf(stderr, "bench_train_step: bf16 products need AVX-512 or bf16 instructions, which this CPU lacks\n");
    return 1;
  }
  std::printf("training step (forward + backward + AdamW), %d threads, median of %d steps, %s\n", threads, steps,
              std::string(name_of(precision)).c_str());
  std::printf("SIMD target %s; FMA peak now: %.1f GFLOP/s; oneDNN sgemm 2048x768x256 now: %.1f GFLOP/s\n",
              kernels::simd_target_name().c_str(), bench::fma_peak(), product_gflops(Precision::fp32));
  if (precision == Precision::bf16)
    std::printf("bf16 dot-product peak now: %.1f GFLOP/s; oneDNN bf16 matmul 2048x768x256 now: %.1f GFLOP/s%s\n",
                bench::bf16_dot_peak(), product_gflops(Precision::bf16),
                gemm::has_bf16_instructions() ? "" : " (emulated: oneDNN has no bf16 instructions here)");
  const auto is_chosen = [&](std::string_view name) {
    for (size_t start = 0; start <= chosen.size();) {
      const size_t end = std::min(chosen.find(',', start), chosen.size());
      if (chosen.substr(start, end - start) == name) return true;
      start = end + 1;
    }
    return false;
  };
  for (const Config& config : {Config{"cfgTiny", 12, 64, 4, 4, 128, 65}, Config{"cfgA", 8, 256, 4, 4, 256, 256},
                               Config{"cfgB", 4, 1024, 6, 6, 384, 256}, Config{"cfgC", 1, 1024, 12, 12, 768, 50304}})
    if (is_chosen(config.name)) run(config, steps, precision);
}

#endif  // HWY_ONCE
