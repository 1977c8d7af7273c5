#include "core/ops/matmul.h"

#include <optional>

#include "core/autograd.h"
#include "core/bfloat16_buffer.h"
#include "core/error.h"
#include "core/gemm.h"
#include "core/kernels/bfloat16.h"
#include "core/kernels/reduction.h"

namespace knnformer::ops {

namespace {

struct Operands {
  int64_t batch, m, n, k;
  bool b_batched;
};

Operands operands_of(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b) {
  const Shape &sa = a.shape(), &sb = b.shape();
  const auto mismatch = [&] {
    return "matmul: shapes " + sa.to_string() + (transpose_a ? "ᵀ" : "") + " and " + sb.to_string() +
           (transpose_b ? "ᵀ" : "") + " do not multiply";
  };
  require(sa.rank() >= 2 && sb.rank() >= 2, mismatch());
  const int64_t m = transpose_a ? sa[-1] : sa[-2], k = transpose_a ? sa[-2] : sa[-1];
  const int64_t kb = transpose_b ? sb[-1] : sb[-2], n = transpose_b ? sb[-2] : sb[-1];
  require(k == kb, mismatch());
  const bool b_batched = sb.rank() > 2;
  if (b_batched) {
    require(sb.rank() == sa.rank(), mismatch());
    for (int i = 0; i < sa.rank() - 2; ++i) require(sa[i] == sb[i], mismatch());
  }
  return {sa.numel() / (sa[-1] * sa[-2]), m, n, k, b_batched};
}

// C (+)= op(A)·op(B) on raw buffers.
void multiply(const Operands& o, bool transpose_a, bool transpose_b, bool a_batched, bool b_batched, const float* a,
              const float* b, float* c, bool accumulate) {
  gemm::Product product{o.batch, o.m, o.n, o.k, transpose_a, transpose_b, a_batched, b_batched, accumulate};
  gemm::matmul(product, a, b, c);
}

// Backward of C = op(A)·op(B), each case from dA = dC·op(B)ᵀ and dB = op(A)ᵀ·dC,
// with the stored layouts of A and B read through transposes instead of copies.
struct MatmulNode : Node {
  MatmulNode(Tensor a_, Tensor b_, Tensor c_, Operands o_, bool ta, bool tb)
      : a(std::move(a_)), b(std::move(b_)), c(std::move(c_)), o(o_), transpose_a(ta), transpose_b(tb) {}

  void backward() override {
    if (!c.has_grad()) return;
    const float* dc = c.grad();
    if (a.requires_grad()) {
      const Tensor::GradSink da = a.grad_sink();
      if (!transpose_a)  // dA[m,k] = dC[m,n]·op(B)ᵀ
        multiply({o.batch, o.m, o.k, o.n, o.b_batched}, false, !transpose_b, true, o.b_batched, dc, b.data(), da.data,
                 !da.overwrite);
      else  // dA[k,m] = op(B)·dCᵀ
        multiply({o.batch, o.k, o.m, o.n, true}, transpose_b, true, o.b_batched, true, b.data(), dc, da.data,
                 !da.overwrite);
    }
    if (b.requires_grad()) {
      const Tensor::GradSink db = b.grad_sink();
      if (o.b_batched) {
        if (!transpose_b)  // dB[k,n] = op(A)ᵀ·dC
          multiply({o.batch, o.k, o.n, o.m, true}, !transpose_a, false, true, true, a.data(), dc, db.data,
                   !db.overwrite);
        else  // dB[n,k] = dCᵀ·op(A)
          multiply({o.batch, o.n, o.k, o.m, true}, true, transpose_a, true, true, dc, a.data(), db.data,
                   !db.overwrite);
      } else {
        // A shared B collects the gradient of every batch entry: with A not
        // transposed the batch folds into the rows, one product of depth batch·m.
        const int64_t rows = o.batch * o.m;
        if (!transpose_b)
          multiply({1, o.k, o.n, rows, false}, true, false, true, true, a.data(), dc, db.data, !db.overwrite);
        else
          multiply({1, o.n, o.k, rows, false}, true, false, true, true, dc, a.data(), db.data, !db.overwrite);
      }
    }
  }
  std::string_view name() const override { return "matmul"; }

  Tensor a, b, c;
  Operands o;
  bool transpose_a, transpose_b;
};

// A bfloat16 copy of `count` floats.
class Bfloat16Copy {
 public:
  Bfloat16Copy(const float* values, int64_t count) : halves_(count) { kernels::to_bfloat16(values, halves_.data(), count); }
  const uint16_t* data() const { return halves_.data(); }

 private:
  Bfloat16Buffer halves_;
};

// The operands of a linear layer's products in bf16: x and the weight,
// converted once in the forward and kept for the backward.
struct Bfloat16Operands {
  Bfloat16Copy x, weight;
};

// Backward of y = x·Wᵀ + b with x as [rows, in]:
// dx = dy·W, dW = dyᵀ·x, db = Σ_rows dy; with bf16 operands, dy is
// converted once for both products.
struct LinearNode : Node {
  LinearNode(Tensor x_, Tensor weight_, Tensor bias_, Tensor y_, std::optional<Bfloat16Operands> bf16_)
      : x(std::move(x_)),
        weight(std::move(weight_)),
        bias(std::move(bias_)),
        y(std::move(y_)),
        bf16(std::move(bf16_)) {}

  void backward() override {
    if (!y.has_grad()) return;
    const int64_t rows = x.shape().rows(), in = x.shape().cols(), out = weight.shape()[0];
    const float* dy = y.grad();
    std::optional<Bfloat16Copy> dy_bf16;
    if (bf16 && (x.requires_grad() || weight.requires_grad())) dy_bf16.emplace(dy, y.numel());
    if (x.requires_grad()) {
      const Tensor::GradSink dx = x.grad_sink();
      const gemm::Product product{1, rows, in, out, false, false, true, false, !dx.overwrite};
      if (bf16)
        gemm::matmul(product, dy_bf16->data(), bf16->weight.data(), dx.data);
      else
        gemm::matmul(product, dy, weight.data(), dx.data);
    }
    if (weight.requires_grad()) {
      const Tensor::GradSink dweight = weight.grad_sink();
      const gemm::Product product{1, out, in, rows, true, false, true, false, !dweight.overwrite};
      if (bf16)
        gemm::matmul(product, dy_bf16->data(), bf16->x.data(), dweight.data);
      else
        gemm::matmul(product, dy, x.data(), dweight.data);
    }
    if (bias.defined() && bias.requires_grad()) {
      const Tensor::GradSink dbias = bias.grad_sink();
      kernels::add_column_sums(dy, rows, out, dbias.data, dbias.overwrite);
    }
  }
  std::string_view name() const override { return "linear"; }

  Tensor x, weight, bias, y;
  std::optional<Bfloat16Operands> bf16;
};

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b) {
  const Operands o = operands_of(a, b, transpose_a, transpose_b);
  require(o.b_batched || !transpose_a || o.batch == 1,
          "matmul: a transposed batched " + a.shape().to_string() + " with a shared " + b.shape().to_string() +
              " is not supported");
  Tensor c = Tensor::empty(a.shape().with(-2, o.m).with(-1, o.n));
  multiply(o, transpose_a, transpose_b, true, o.b_batched, a.data(), b.data(), c.data(), false);
  if (needs_grad({&a, &b})) record<MatmulNode>(c, a, b, c, o, transpose_a, transpose_b);
  return c;
}

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias, Precision precision) {
  const Shape& sx = x.shape();
  const Shape& sw = weight.shape();
  require(sw.rank() == 2 && sx.rank() >= 1 && sx[-1] == sw[1],
          "linear: input " + sx.to_string() + " does not fit weight " + sw.to_string() + " ([out, in])");
  const int64_t out = sw[0];
  if (bias.defined())
    require(bias.shape() == Shape{out},
            "linear: bias " + bias.shape().to_string() + " does not fit weight " + sw.to_string());
  Tensor y = Tensor::empty(sx.with(-1, out));
  const gemm::Product product{1, sx.rows(), out, sx[-1], false, true};
  const float* bias_data = bias.defined() ? bias.data() : nullptr;
  std::optional<Bfloat16Operands> bf16;
  if (precision == Precision::bf16) {
    bf16.emplace(Bfloat16Copy(x.data(), x.numel()), Bfloat16Copy(weight.data(), weight.numel()));
    gemm::matmul(product, bf16->x.data(), bf16->weight.data(), y.data(), bias_data);
  } else {
    gemm::matmul(product, x.data(), weight.data(), y.data(), bias_data);
  }
  if (needs_grad({&x, &weight, &bias})) record<LinearNode>(y, x, weight, bias, y, std::move(bf16));
  return y;
}

}  // namespace knnformer::ops
