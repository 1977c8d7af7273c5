#include "core/ops/elementwise.h"

#include "core/autograd.h"
#include "core/error.h"
#include "core/kernels/elementwise.h"

namespace knnformer::ops {

namespace {

void require_same_shape(const char* op, const Tensor& a, const Tensor& b) {
  require(a.shape() == b.shape(),
          std::string(op) + ": shapes " + a.shape().to_string() + " and " + b.shape().to_string() + " differ");
}

// Puts factor·dy into x's gradient: written when it is the first contribution.
void add_scaled_gradient(const Tensor& x, float factor, const float* dy) {
  const Tensor::GradSink dx = x.grad_sink();
  if (dx.overwrite)
    kernels::scale(dy, factor, dx.data, x.numel());
  else
    kernels::axpy(factor, dy, dx.data, x.numel());
}

// d(a + b) = da + db: each input receives dy unchanged.
struct AddNode : Node {
  AddNode(Tensor a_, Tensor b_, Tensor y_) : a(std::move(a_)), b(std::move(b_)), y(std::move(y_)) {}
  void backward() override {
    if (!y.has_grad()) return;
    if (a.requires_grad()) add_scaled_gradient(a, 1.0f, y.grad());
    if (b.requires_grad()) add_scaled_gradient(b, 1.0f, y.grad());
  }
  std::string_view name() const override { return "add"; }
  Tensor a, b, y;
};

// d(a ⊙ b) = da ⊙ b + a ⊙ db: a receives dy ⊙ b, b receives dy ⊙ a.
struct MulNode : Node {
  MulNode(Tensor a_, Tensor b_, Tensor y_) : a(std::move(a_)), b(std::move(b_)), y(std::move(y_)) {}
  void backward() override {
    if (!y.has_grad()) return;
    if (a.requires_grad()) kernels::multiply_add(y.grad(), b.data(), a.grad(), y.numel());
    if (b.requires_grad()) kernels::multiply_add(y.grad(), a.data(), b.grad(), y.numel());
  }
  std::string_view name() const override { return "mul"; }
  Tensor a, b, y;
};

// d(s·x) = s·dx.
struct ScaleNode : Node {
  ScaleNode(Tensor x_, Tensor y_, float factor_) : x(std::move(x_)), y(std::move(y_)), factor(factor_) {}
  void backward() override {
    if (y.has_grad()) add_scaled_gradient(x, factor, y.grad());
  }
  std::string_view name() const override { return "scale"; }
  Tensor x, y;
  float factor;
};

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) {
  require_same_shape("add", a, b);
  Tensor y = Tensor::empty(a.shape());
  kernels::add(a.data(), b.data(), y.data(), y.numel());
  if (needs_grad({&a, &b})) record<AddNode>(y, a, b, y);
  return y;
}

Tensor mul(const Tensor& a, const Tensor& b) {
  require_same_shape("mul", a, b);
  Tensor y = Tensor::empty(a.shape());
  kernels::mul(a.data(), b.data(), y.data(), y.numel());
  if (needs_grad({&a, &b})) record<MulNode>(y, a, b, y);
  return y;
}

Tensor scale(const Tensor& x, float factor) {
  Tensor y = Tensor::empty(x.shape());
  kernels::scale(x.data(), factor, y.data(), y.numel());
  if (needs_grad({&x})) record<ScaleNode>(y, x, y, factor);
  return y;
}

}  // namespace knnformer::ops
