// Kernel benchmark: the AVX2 kernels against their plain scalar references
// (core/kernels/*.h, namespace reference), in the same run, on transformer
// sizes, with 2 threads and with 1. Runs alternate between the two paths and
// each reports its median, so load from elsewhere on the machine hits both
// alike.
//
// Throughput is in GB/s of compulsory memory traffic, the bytes a kernel must
// move at the least:
//   LayerNorm forward      read x, write y                       2·rows·C·4
//   GELU forward           read x, write y                       2·n·4
//   softmax-cross-entropy  forward reads the logits; backward
//   forward + backward     reads them again and adds into dlogits 4·rows·V·4
//
// usage: bench_kernels [repeats]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "core/kernels/cross_entropy.h"
#include "core/kernels/gelu.h"
#include "core/kernels/layer_norm.h"
#include "core/kernels/simd_math.h"
#include "core/parallel.h"
#include "core/rng.h"

using namespace knnformer;

namespace {

double seconds_of(const std::function<void()>& work) {
  const auto start = std::chrono::steady_clock::now();
  work();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

std::vector<float> random_values(int64_t count, uint64_t seed, float scale) {
  std::vector<float> values(count);
  CounterRng(seed, {}).fill_uniform(values.data(), count);
  for (float& v : values) v = scale * (2.0f * v - 1.0f);
  return values;
}

// One kernel at one size: the scalar reference and the fast path, each a closure.
struct Case {
  const char* kernel;
  const char* shape;
  double bytes;
  std::function<void()> reference, fast;
};

void run(const Case& c, int threads, int repeats) {
  set_num_threads(threads);
  c.reference();  // warm-up: first touch of the pages, thread start-up
  c.fast();
  std::vector<double> reference_times, fast_times;
  for (int i = 0; i < repeats; ++i) {
    reference_times.push_back(seconds_of(c.reference));
    fast_times.push_back(seconds_of(c.fast));
  }
  const double reference_rate = c.bytes / median(reference_times) / 1e9;
  const double fast_rate = c.bytes / median(fast_times) / 1e9;
  std::printf("| %-28s | %-14s | %7d | %12.2f | %12.2f | %6.2fx |\n", c.kernel, c.shape, threads, reference_rate,
              fast_rate, fast_rate / reference_rate);
}

Case layer_norm_case(int64_t rows, int64_t cols, const char* shape, std::vector<float>& storage) {
  const int64_t n = rows * cols;
  storage = random_values(2 * n + 2 * cols + 2 * rows, 1, 3.0f);
  float* x = storage.data();
  float* y = x + n;
  float* weight = y + n;
  float* bias = weight + cols;
  float* mean = bias + cols;
  float* rstd = mean + rows;
  return {"LayerNorm forward", shape, 2.0 * n * sizeof(float),
          [=] { kernels::reference::layer_norm_forward(x, weight, bias, y, mean, rstd, rows, cols, 1e-5f); },
          [=] { kernels::layer_norm_forward(x, weight, bias, y, mean, rstd, rows, cols, 1e-5f); }};
}

Case gelu_case(int64_t n, const char* shape, std::vector<float>& storage) {
  storage = random_values(2 * n, 2, 3.0f);
  float* x = storage.data();
  float* y = x + n;
  return {"GELU forward", shape, 2.0 * n * sizeof(float), [=] { kernels::reference::gelu_forward(x, y, n); },
          [=] { kernels::gelu_forward(x, y, n); }};
}

Case cross_entropy_case(int64_t rows, int64_t vocab, const char* shape, std::vector<float>& storage,
                        std::vector<int32_t>& targets) {
  const int64_t n = rows * vocab;
  storage = random_values(2 * n + 2 * rows, 3, 5.0f);
  float* logits = storage.data();
  float* dlogits = logits + n;
  float* losses = dlogits + n;
  float* lse = losses + rows;
  targets.resize(rows);
  for (int64_t r = 0; r < rows; ++r) targets[r] = static_cast<int32_t>((r * 7919) % vocab);
  const int32_t* t = targets.data();
  const float scale = 1.0f / static_cast<float>(rows);
  return {"softmax-CE forward+backward", shape, 4.0 * n * sizeof(float),
          [=] {
            kernels::reference::cross_entropy_forward(logits, t, losses, lse, rows, vocab);
            kernels::reference::cross_entropy_backward(logits, t, lse, scale, dlogits, rows, vocab);
          },
          [=] {
            kernels::cross_entropy_forward(logits, t, losses, lse, rows, vocab);
            kernels::cross_entropy_backward(logits, t, lse, scale, dlogits, rows, vocab);
          }};
}

}  // namespace

int main(int argc, char** argv) {
  const int repeats = argc > 1 ? std::atoi(argv[1]) : 5;
#ifdef KNNFORMER_SIMD_AVX2
  const char* fast_path = "AVX2+FMA";
#else
  const char* fast_path = "scalar (AVX2 not compiled in)";
#endif
  std::printf("Kernels: fast path %s against the scalar reference, GB/s, median of %d runs\n\n", fast_path, repeats);
  std::printf("| %-28s | %-14s | %7s | %12s | %12s | %7s |\n", "kernel", "shape", "threads", "scalar GB/s",
              "SIMD GB/s", "ratio");
  std::printf("|%s|%s|%s|%s|%s|%s|\n", std::string(30, '-').c_str(), std::string(16, '-').c_str(),
              std::string(9, '-').c_str(), std::string(14, '-').c_str(), std::string(14, '-').c_str(),
              std::string(9, '-').c_str());
  std::vector<float> storage;
  std::vector<int32_t> targets;
  const auto both = [&](const Case& c) {
    for (const int threads : {2, 1}) run(c, threads, repeats);
  };
  both(layer_norm_case(8 * 1024, 768, "8192 x 768", storage));
  both(gelu_case(8 * 1024 * 768, "8192 x 768", storage));
  both(cross_entropy_case(8 * 256, 50304, "2048 x 50304", storage, targets));
  both(cross_entropy_case(8 * 256, 256, "2048 x 256", storage, targets));
}
