#include "core/gemm.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <tuple>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "core/error.h"
#include "core/parallel.h"

namespace knnformer::gemm {

namespace {

using dnnl::memory;
using Dims = memory::dims;

dnnl::engine& cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& cpu_stream() {
  static dnnl::stream stream(cpu_engine());
  return stream;
}

// A [batch, rows, cols] matrix as oneDNN sees it: logical dims of op(X) and
// strides of X as stored (a transposed operand just swaps the two strides).
memory::desc matrix_desc(int64_t batch, int64_t rows, int64_t cols, bool transposed,
                         memory::data_type type = memory::data_type::f32) {
  const Dims dims{batch, rows, cols};
  const Dims strides = transposed ? Dims{rows * cols, 1, rows} : Dims{rows * cols, cols, 1};
  return memory::desc(dims, type, strides);
}

// A created primitive with its memory objects, whose data handles are swapped per call.
struct CachedPrimitive {
  dnnl::matmul primitive;
  memory a, b, c, bias;
};

using Key = std::tuple<int64_t, int64_t, int64_t, int64_t, bool, bool, bool, bool, bool, bool, memory::data_type>;

Key key_of(const Product& p, bool has_bias, memory::data_type operand_type) {
  return {p.batch,       p.m,         p.n,        p.k,      p.transpose_a, p.transpose_b,
          p.a_batched,   p.b_batched, p.accumulate, has_bias, operand_type};
}

// The primitive of C = op(A)·op(B) with A and B of operand_type, C and the bias fp32.
CachedPrimitive create(const Product& p, bool has_bias, memory::data_type operand_type) {
  auto& engine = cpu_engine();
  const memory::desc a_desc = matrix_desc(p.a_batched ? p.batch : 1, p.m, p.k, p.transpose_a, operand_type);
  const memory::desc b_desc = matrix_desc(p.b_batched ? p.batch : 1, p.k, p.n, p.transpose_b, operand_type);
  const memory::desc c_desc = matrix_desc(p.batch, p.m, p.n, false);
  const memory::desc bias_desc = matrix_desc(1, 1, p.n, false);

  dnnl::primitive_attr attributes;
  if (p.accumulate) {
    dnnl::post_ops post_ops;
    post_ops.append_sum(1.0f);
    attributes.set_post_ops(post_ops);
  }
  const auto descriptor = has_bias ? dnnl::matmul::desc(a_desc, b_desc, bias_desc, c_desc)
                                   : dnnl::matmul::desc(a_desc, b_desc, c_desc);
  const dnnl::matmul::primitive_desc primitive_desc(descriptor, attributes, engine);
  return {dnnl::matmul(primitive_desc), memory(a_desc, engine, nullptr), memory(b_desc, engine, nullptr),
          memory(c_desc, engine, nullptr), memory(bias_desc, engine, nullptr)};
}

void check(const Product& p) {
  require(p.batch >= 1 && p.m >= 0 && p.n >= 0 && p.k >= 0,
          "gemm::matmul: bad problem batch=" + std::to_string(p.batch) + " m=" + std::to_string(p.m) +
              " n=" + std::to_string(p.n) + " k=" + std::to_string(p.k));
}

// Runs the cached primitive of the product (made on first use) on these buffers.
void run_primitive(const Product& product, memory::data_type operand_type, const void* a, const void* b, float* c,
                   const float* bias) {
  static std::mutex cache_mutex;
  static std::map<Key, CachedPrimitive> cache;
  const std::lock_guard lock(cache_mutex);

  const Key key = key_of(product, bias != nullptr, operand_type);
  auto entry = cache.find(key);
  if (entry == cache.end()) entry = cache.emplace(key, create(product, bias != nullptr, operand_type)).first;
  CachedPrimitive& cached = entry->second;
  cached.a.set_data_handle(const_cast<void*>(a));
  cached.b.set_data_handle(const_cast<void*>(b));
  cached.c.set_data_handle(c);
  std::unordered_map<int, memory> arguments{
      {DNNL_ARG_SRC, cached.a}, {DNNL_ARG_WEIGHTS, cached.b}, {DNNL_ARG_DST, cached.c}};
  if (bias) {
    cached.bias.set_data_handle(const_cast<float*>(bias));
    arguments.emplace(DNNL_ARG_BIAS, cached.bias);
  }
  cached.primitive.execute(cpu_stream(), arguments);
  cpu_stream().wait();
}

// oneDNN's sgemm slows to about half speed on a stored operand whose rows lie
// a power-of-two multiple of 4 KiB apart (1024 floats, as the hidden layer of
// a 256-wide model's MLP): its packing then reads addresses that share cache
// sets at every level. Copying such an operand with its rows 16 floats
// further apart costs a fraction of what it saves: on AMD Zen 3 (bench_gemm
// 2 20, its sgemm and wrapper columns), dW = dyᵀ·x of 1024×256×2048 ran at
// 56–57 GFLOP/s with the rows 1024 floats apart and 92–101 copied, copy
// included; 256×1024×2048 at 67–69 and 97–107. At 3072 floats apart (GPT-2
// small's MLP) the copy gained 3–6% on one operand and lost 3–5% on the
// other, so only powers of two are copied.
constexpr int64_t kConflictingStride = 1024, kStridePadding = 16;

bool conflicting(int64_t leading_dimension) {
  return leading_dimension >= kConflictingStride && (leading_dimension & (leading_dimension - 1)) == 0;
}

// One of a product's two operands as sgemm reads it: stored rows, each
// `leading_dimension` floats after the one before.
struct StoredOperand {
  const float* data;
  int64_t rows, leading_dimension;
};

// The operand itself, or a padded copy of it (kept per thread and operand slot
// for the next product) when its rows lie a conflicting distance apart.
StoredOperand without_conflicting_stride(const StoredOperand& operand, int slot) {
  if (!conflicting(operand.leading_dimension)) return operand;
  thread_local std::vector<float> buffers[2];
  std::vector<float>& buffer = buffers[slot];
  const int64_t padded = operand.leading_dimension + kStridePadding;
  if (buffer.size() < static_cast<size_t>(operand.rows * padded)) buffer.resize(operand.rows * padded);
  float* const destination = buffer.data();
  parallel_for(0, operand.rows, [&](int64_t row) {
    std::copy_n(operand.data + row * operand.leading_dimension, operand.leading_dimension,
                destination + row * padded);
  });
  return {destination, operand.rows, padded};
}

}  // namespace

void matmul(const Product& product, const float* a, const float* b, float* c, const float* bias) {
  check(product);
  if (product.m == 0 || product.n == 0) return;
  // A single product with a transposed left operand (the weight gradient
  // dW = dyᵀ·x) runs 15-20% faster through oneDNN's sgemm kernels than
  // through the matmul primitive (bench_gemm). The choice depends on the
  // shape alone, so a run's results stay reproducible.
  if (product.batch == 1 && product.transpose_a && bias == nullptr) {
    const StoredOperand left = without_conflicting_stride({a, product.k, product.m}, 0);
    const StoredOperand right = without_conflicting_stride(
        {b, product.transpose_b ? product.n : product.k, product.transpose_b ? product.k : product.n}, 1);
    sgemm(true, product.transpose_b, product.m, product.n, product.k, 1.0f, left.data, left.leading_dimension,
          right.data, right.leading_dimension, product.accumulate ? 1.0f : 0.0f, c, product.n);
    return;
  }
  run_primitive(product, memory::data_type::f32, a, b, c, bias);
}

void matmul(const Product& product, const uint16_t* a, const uint16_t* b, float* c, const float* bias) {
  check(product);
  require(can_multiply_bf16(), "gemm::matmul: bf16 products need AVX-512 or bf16 instructions, which this CPU lacks");
  if (product.m == 0 || product.n == 0) return;
  run_primitive(product, memory::data_type::bf16, a, b, c, bias);
}

bool has_bf16_instructions() {
  const dnnl::cpu_isa isa = dnnl::get_effective_cpu_isa();
  return isa == dnnl::cpu_isa::avx512_core_bf16 || isa == dnnl::cpu_isa::avx512_core_amx;
}

// oneDNN's ISAs are sets of feature bits, each containing those below it.
bool can_multiply_bf16() {
  const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
  const auto avx512 = static_cast<unsigned>(dnnl::cpu_isa::avx512_core);
  return (isa & avx512) == avx512;
}

Precision usable_precision(Precision asked) {
  return asked == Precision::bf16 && has_bf16_instructions() ? Precision::bf16 : Precision::fp32;
}

void sgemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
           int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  const dnnl_status_t status = dnnl_sgemm(transpose_a ? 'T' : 'N', transpose_b ? 'T' : 'N', m, n, k, alpha, a, lda,
                                          b, ldb, beta, c, ldc);
  require(status == dnnl_success, "gemm::sgemm: oneDNN failed with status " + std::to_string(status));
}

}  // namespace knnformer::gemm
