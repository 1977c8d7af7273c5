// GEMM benchmark: knnformer's matmul wrapper (cached oneDNN matmul primitive)
// on transformer shapes, in the same run as two direct oneDNN calls:
//   primitive   the same matmul primitive, created beforehand and executed
//               directly: wrapper / primitive is the wrapper's own overhead;
//   dnnl_sgemm  oneDNN's BLAS-style entry point, another implementation
//               inside oneDNN: wrapper / sgemm compares the two (and, on
//               weight gradients whose rows lie a power of two of 4 KiB
//               apart, the wrapper's padded copy, core/gemm.cpp).
// Runs alternate between the three and each reports its median, so load
// from elsewhere on the machine hits them alike.
//
// usage: bench_gemm [threads] [repeats]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "core/gemm.h"
#include "core/parallel.h"
#include "core/rng.h"

using namespace knnformer;

namespace {

struct Case {
  const char* what;
  int64_t m, n, k;
  bool transpose_a, transpose_b;
};

double seconds_of(const auto& work) {
  const auto start = std::chrono::steady_clock::now();
  work();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The matmul primitive of one product, with its memory objects, made once.
struct DirectPrimitive {
  DirectPrimitive(int64_t m, int64_t n, int64_t k, bool transpose_a, bool transpose_b, float* a, float* b, float* c)
      : engine(dnnl::engine::kind::cpu, 0), stream(engine) {
    using dnnl::memory;
    const auto desc = [](int64_t rows, int64_t cols, bool transposed) {
      return memory::desc({1, rows, cols}, memory::data_type::f32,
                          transposed ? memory::dims{rows * cols, 1, rows} : memory::dims{rows * cols, cols, 1});
    };
    const memory::desc a_desc = desc(m, k, transpose_a), b_desc = desc(k, n, transpose_b), c_desc = desc(m, n, false);
    primitive = dnnl::matmul(dnnl::matmul::primitive_desc(dnnl::matmul::desc(a_desc, b_desc, c_desc), engine));
    arguments = {{DNNL_ARG_SRC, memory(a_desc, engine, a)},
                 {DNNL_ARG_WEIGHTS, memory(b_desc, engine, b)},
                 {DNNL_ARG_DST, memory(c_desc, engine, c)}};
  }
  void run() {
    primitive.execute(stream, arguments);
    stream.wait();
  }
  dnnl::engine engine;
  dnnl::stream stream;
  dnnl::matmul primitive;
  std::unordered_map<int, dnnl::memory> arguments;
};

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 15;
  set_num_threads(threads);
  const std::vector<Case> cases = {
      {"qkv / mlp-in   x·Wᵀ", 2048, 768, 256, false, true},
      {"mlp-in         x·Wᵀ", 2048, 1024, 256, false, true},
      {"mlp-out        x·Wᵀ", 2048, 256, 1024, false, true},
      {"proj           x·Wᵀ", 2048, 256, 256, false, true},
      {"dx = dy·W", 2048, 256, 768, false, false},
      {"dx = dy·W", 2048, 256, 1024, false, false},
      {"dx = dy·W", 2048, 1024, 256, false, false},
      {"dx = dy·W", 2048, 256, 256, false, false},
      {"dW = dyᵀ·x", 768, 256, 2048, true, false},
      {"dW = dyᵀ·x", 1024, 256, 2048, true, false},
      {"dW = dyᵀ·x", 256, 1024, 2048, true, false},
      {"dW = dyᵀ·x", 256, 256, 2048, true, false},
      {"dW = dyᵀ·x  (cfgC)", 3072, 768, 1024, true, false},
      {"dW = dyᵀ·x  (cfgC)", 768, 3072, 1024, true, false},
  };
  std::printf("GEMM, %d threads, median of %d runs\n", threads, repeats);
  std::printf("%-22s %16s %12s %12s %12s %10s %10s\n", "product", "m x n x k", "wrapper", "primitive", "dnnl_sgemm",
              "w/prim", "w/sgemm");
  for (const Case& c : cases) {
    std::vector<float> a(c.m * c.k), b(c.k * c.n), out(c.m * c.n);
    CounterRng rng(1, {});
    rng.fill_normal(a.data(), a.size(), 0, 1);
    rng.fill_normal(b.data(), b.size(), 0, 1);
    const gemm::Product product{1, c.m, c.n, c.k, c.transpose_a, c.transpose_b};
    const int64_t lda = c.transpose_a ? c.m : c.k, ldb = c.transpose_b ? c.k : c.n;
    const auto wrapper = [&] { gemm::matmul(product, a.data(), b.data(), out.data()); };
    const auto direct = [&] {
      gemm::sgemm(c.transpose_a, c.transpose_b, c.m, c.n, c.k, 1.0f, a.data(), lda, b.data(), ldb, 0.0f, out.data(),
                  c.n);
    };
    DirectPrimitive primitive(c.m, c.n, c.k, c.transpose_a, c.transpose_b, a.data(), b.data(), out.data());
    wrapper();
    direct();
    primitive.run();
    std::vector<double> wrapper_times, direct_times, primitive_times;
    for (int r = 0; r < repeats; ++r) {
      wrapper_times.push_back(seconds_of(wrapper));
      primitive_times.push_back(seconds_of([&] { primitive.run(); }));
      direct_times.push_back(seconds_of(direct));
    }
    const double flops = 2.0 * c.m * c.n * c.k;
    const double wrapper_gflops = flops / median(wrapper_times) * 1e-9;
    const double primitive_gflops = flops / median(primitive_times) * 1e-9;
    const double direct_gflops = flops / median(direct_times) * 1e-9;
    char dims[48];
    std::snprintf(dims, sizeof dims, "%ldx%ldx%ld", long(c.m), long(c.n), long(c.k));
    std::printf("%-22s %16s %7.1f GF/s %7.1f GF/s %7.1f GF/s %9.3fx %9.3fx\n", c.what, dims, wrapper_gflops,
                primitive_gflops, direct_gflops, wrapper_gflops / primitive_gflops, wrapper_gflops / direct_gflops);
  }
}
