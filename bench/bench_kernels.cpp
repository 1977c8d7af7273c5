// Kernel benchmark: the dispatched kernels (core/kernels/*.h) against their
// plain scalar references (namespace reference), in the same run, on
// transformer sizes, with 2 threads and with 1. Runs alternate between the
// two paths and each reports its median, so load from elsewhere on the
// machine hits both alike. The kernels run on the best SIMD target of the
// CPU; KNNFORMER_SIMD=avx2 (core/kernels/simd_target.h) compares another.
//
// Throughput is in GB/s of compulsory memory traffic, the bytes a kernel must
// move at the least:
//   add                    read a and b, write out                3·n·4
//   axpy                   read x, read and write y               3·n·4
//   sum                    read x                                 n·4
//   GELU forward           read x, write y                        2·n·4
//   GELU backward          read x and dy, read and write dx       4·n·4
//   LayerNorm forward      read x, write y                        2·rows·C·4
//   LayerNorm backward     read x and dy, read and write dx       4·rows·C·4
//   softmax forward        read x, write y                        2·rows·C·4
//   softmax backward       read y and dy, read and write dx       4·rows·C·4
//   softmax-cross-entropy  forward reads the logits; backward
//   forward + backward     reads them again and adds into dlogits 4·rows·V·4
//   AdamW update           read g, read and write p, m and v      7·n·4
//   SGD update             read g, read and write p and b         5·n·4
//   Philox blocks          write the words, CounterRng's refills  16·blocks
//                          of 16 blocks (one thread: no blocks
//                          run in parallel)
//
// usage: bench_kernels [repeats] [--fast-only]
//   --fast-only   time the dispatched kernels alone, not the references
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "core/kernels/cross_entropy.h"
#include "core/kernels/elementwise.h"
#include "core/kernels/gelu.h"
#include "core/kernels/layer_norm.h"
#include "core/kernels/optimizer_update.h"
#include "core/kernels/philox_rounds.h"
#include "core/kernels/reduction.h"
#include "core/kernels/simd_target.h"
#include "core/kernels/softmax.h"
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

void run(const Case& c, int threads, int repeats, bool with_reference) {
  set_num_threads(threads);
  if (with_reference) c.reference();  // warm-up: first touch of the pages, thread start-up
  c.fast();
  std::vector<double> reference_times, fast_times;
  for (int i = 0; i < repeats; ++i) {
    if (with_reference) reference_times.push_back(seconds_of(c.reference));
    fast_times.push_back(seconds_of(c.fast));
  }
  const double fast_seconds = median(fast_times);
  const double fast_rate = c.bytes / fast_seconds / 1e9;
  if (!with_reference) {
    std::printf("| %-28s | %-14s | %7d | %12s | %12.2f | %9.3f | %7s |\n", c.kernel, c.shape, threads, "-", fast_rate,
                1e3 * fast_seconds, "-");
    return;
  }
  const double reference_rate = c.bytes / median(reference_times) / 1e9;
  std::printf("| %-28s | %-14s | %7d | %12.2f | %12.2f | %9.3f | %6.2fx |\n", c.kernel, c.shape, threads,
              reference_rate, fast_rate, 1e3 * fast_seconds, fast_rate / reference_rate);
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

Case add_case(int64_t n, const char* shape, std::vector<float>& storage) {
  storage = random_values(3 * n, 4, 1.0f);
  float* a = storage.data();
  float* b = a + n;
  float* out = b + n;
  return {"add", shape, 3.0 * n * sizeof(float), [=] { kernels::reference::add(a, b, out, n); },
          [=] { kernels::add(a, b, out, n); }};
}

Case axpy_case(int64_t n, const char* shape, std::vector<float>& storage) {
  storage = random_values(2 * n, 5, 1.0f);
  float* x = storage.data();
  float* y = x + n;
  return {"axpy", shape, 3.0 * n * sizeof(float), [=] { kernels::reference::axpy(1e-3f, x, y, n); },
          [=] { kernels::axpy(1e-3f, x, y, n); }};
}

Case sum_case(int64_t n, const char* shape, std::vector<float>& storage) {
  storage = random_values(n, 6, 1.0f);
  const float* x = storage.data();
  // The result goes to a volatile so that the call is not optimised away.
  return {"sum", shape, 1.0 * n * sizeof(float),
          [=] {
            volatile float total = kernels::reference::sum(x, n);
            (void)total;
          },
          [=] {
            volatile float total = kernels::sum(x, n);
            (void)total;
          }};
}

Case gelu_backward_case(int64_t n, const char* shape, std::vector<float>& storage) {
  storage = random_values(3 * n, 7, 3.0f);
  float* x = storage.data();
  float* dy = x + n;
  float* dx = dy + n;
  return {"GELU backward", shape, 4.0 * n * sizeof(float),
          [=] { kernels::reference::gelu_backward(x, dy, dx, n, true); },
          [=] { kernels::gelu_backward(x, dy, dx, n, true); }};
}

Case layer_norm_backward_case(int64_t rows, int64_t cols, const char* shape, std::vector<float>& storage) {
  const int64_t n = rows * cols;
  storage = random_values(3 * n + 3 * cols + 2 * rows, 8, 1.0f);
  float* x = storage.data();
  float* dy = x + n;
  float* dx = dy + n;
  float* weight = dx + n;
  float* dweight = weight + cols;
  float* dbias = dweight + cols;
  float* mean = dbias + cols;
  float* rstd = mean + rows;
  for (int64_t r = 0; r < rows; ++r) rstd[r] = 1.0f;
  return {"LayerNorm backward", shape, 4.0 * n * sizeof(float),
          [=] { kernels::reference::layer_norm_backward(x, weight, mean, rstd, dy, dx, dweight, dbias, rows, cols); },
          [=] { kernels::layer_norm_backward(x, weight, mean, rstd, dy, dx, dweight, dbias, rows, cols); }};
}

Case softmax_forward_case(int64_t rows, int64_t cols, const char* shape, std::vector<float>& storage) {
  const int64_t n = rows * cols;
  storage = random_values(2 * n, 9, 5.0f);
  float* x = storage.data();
  float* y = x + n;
  return {"softmax forward", shape, 2.0 * n * sizeof(float),
          [=] { kernels::reference::softmax_forward(x, y, rows, cols); },
          [=] { kernels::softmax_forward(x, y, rows, cols); }};
}

Case softmax_backward_case(int64_t rows, int64_t cols, const char* shape, std::vector<float>& storage) {
  const int64_t n = rows * cols;
  storage = random_values(3 * n, 10, 1e-2f);
  float* y = storage.data();
  float* dy = y + n;
  float* dx = dy + n;
  return {"softmax backward", shape, 4.0 * n * sizeof(float),
          [=] { kernels::reference::softmax_backward(y, dy, dx, rows, cols); },
          [=] { kernels::softmax_backward(y, dy, dx, rows, cols); }};
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

Case adamw_case(int64_t n, const char* shape, std::vector<float>& storage) {
  storage = random_values(4 * n, 8, 1.0f);
  float* p = storage.data();
  float* g = p + n;
  float* m = g + n;
  float* v = m + n;
  for (int64_t i = 0; i < n; ++i) v[i] = std::abs(v[i]);  // a second moment is never negative
  const kernels::AdamWStep step{1e-3f, 0.9f, 0.95f, 1e-8f, 0.1f, 0.19f, 0.0975f};
  return {"AdamW update", shape, 7.0 * n * sizeof(float),
          [=] { kernels::reference::adamw_update(p, g, m, v, n, step); },
          [=] { kernels::adamw_update(p, g, m, v, n, step); }};
}

Case sgd_case(int64_t n, const char* shape, std::vector<float>& storage) {
  storage = random_values(3 * n, 9, 1.0f);
  float* p = storage.data();
  float* g = p + n;
  float* buffer = g + n;
  return {"SGD update (Nesterov)", shape, 5.0 * n * sizeof(float),
          [=] { kernels::reference::sgd_update(p, g, buffer, n, 1e-3f, 0.9f, true, 0.1f); },
          [=] { kernels::sgd_update(p, g, buffer, n, 1e-3f, 0.9f, true, 0.1f); }};
}

// Refills of 16 blocks, as CounterRng draws them, into one buffer that stays in cache.
Case philox_case(int64_t refills, const char* shape, std::vector<uint32_t>& words) {
  constexpr int64_t kBlocks = 16;
  words.assign(4 * kBlocks, 0);
  uint32_t* out = words.data();
  const kernels::PhiloxKey key{2026, 11};
  return {"Philox blocks", shape, 16.0 * kBlocks * refills,
          [=] {
            for (int64_t r = 0; r < refills; ++r)
              kernels::reference::philox4x32_blocks(r * kBlocks, 7, key, kBlocks, out);
          },
          [=] {
            for (int64_t r = 0; r < refills; ++r) kernels::philox4x32_blocks(r * kBlocks, 7, key, kBlocks, out);
          }};
}

}  // namespace

int main(int argc, char** argv) {
  const int repeats = argc > 1 ? std::atoi(argv[1]) : 5;
  const bool with_reference = !(argc > 2 && std::strcmp(argv[2], "--fast-only") == 0);
  const std::string fast_path = kernels::simd_target_name();
  std::printf("Kernels: SIMD target %s against the scalar reference, GB/s, median of %d runs\n\n", fast_path.c_str(),
              repeats);
  std::printf("| %-28s | %-14s | %7s | %12s | %12s | %9s | %7s |\n", "kernel", "shape", "threads", "scalar GB/s",
              "SIMD GB/s", "SIMD ms", "ratio");
  std::printf("|%s|%s|%s|%s|%s|%s|%s|\n", std::string(30, '-').c_str(), std::string(16, '-').c_str(),
              std::string(9, '-').c_str(), std::string(14, '-').c_str(), std::string(14, '-').c_str(),
              std::string(11, '-').c_str(), std::string(9, '-').c_str());
  std::vector<float> storage;
  std::vector<int32_t> targets;
  const auto both = [&](const Case& c) {
    for (const int threads : {2, 1}) run(c, threads, repeats, with_reference);
  };
  both(add_case(8 * 1024 * 768, "8192 x 768", storage));
  both(axpy_case(8 * 1024 * 768, "8192 x 768", storage));
  both(sum_case(8 * 1024 * 768, "8192 x 768", storage));
  both(gelu_case(8 * 1024 * 768, "8192 x 768", storage));
  both(gelu_backward_case(8 * 1024 * 768, "8192 x 768", storage));
  both(layer_norm_case(8 * 1024, 768, "8192 x 768", storage));
  both(layer_norm_backward_case(8 * 1024, 768, "8192 x 768", storage));
  both(softmax_forward_case(4 * 1024, 1024, "4096 x 1024", storage));
  both(softmax_backward_case(4 * 1024, 1024, "4096 x 1024", storage));
  both(cross_entropy_case(8 * 256, 50304, "2048 x 50304", storage, targets));
  both(cross_entropy_case(8 * 256, 256, "2048 x 256", storage, targets));
  both(adamw_case(8 * 1024 * 768, "8192 x 768", storage));
  both(sgd_case(8 * 1024 * 768, "8192 x 768", storage));
  std::vector<uint32_t> words;
  run(philox_case(64 * 1024, "65536 x 16", words), 1, repeats, with_reference);
}
