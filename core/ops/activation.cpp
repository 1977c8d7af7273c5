#include "core/ops/activation.h"

#include "core/autograd.h"
#include "core/kernels/gelu.h"

namespace knnformer::ops {

namespace {

// dx += dy ⊙ gelu'(x); the kernel recomputes tanh from the saved input.
struct GeluNode : Node {
  GeluNode(Tensor x_, Tensor y_) : x(std::move(x_)), y(std::move(y_)) {}
  void backward() override {
    if (!y.has_grad()) return;
    const Tensor::GradSink dx = x.grad_sink();
    kernels::gelu_backward(x.data(), y.grad(), dx.data, x.numel(), !dx.overwrite);
  }
  std::string_view name() const override { return "gelu"; }
  Tensor x, y;
};

}  // namespace

Tensor gelu(const Tensor& x) {
  Tensor y = Tensor::empty(x.shape());
  kernels::gelu_forward(x.data(), y.data(), x.numel());
  if (needs_grad({&x})) record<GeluNode>(y, x, y);
  return y;
}

}  // namespace knnformer::ops
