#include "core/ops/softmax.h"

#include "core/autograd.h"
#include "core/kernels/softmax.h"

namespace knnformer::ops {

namespace {

// dx = y ⊙ (dy − ⟨dy, y⟩) per row (derived in core/kernels/softmax.cpp); needs only the output.
struct SoftmaxNode : Node {
  SoftmaxNode(Tensor x_, Tensor y_) : x(std::move(x_)), y(std::move(y_)) {}
  void backward() override {
    if (y.has_grad())
      kernels::softmax_backward(y.data(), y.grad(), x.grad(), y.shape().rows(), y.shape().cols());
  }
  std::string_view name() const override { return "softmax"; }
  Tensor x, y;
};

}  // namespace

Tensor softmax(const Tensor& x) {
  Tensor y = Tensor::empty(x.shape());
  kernels::softmax_forward(x.data(), y.data(), x.shape().rows(), x.shape().cols());
  if (needs_grad({&x})) record<SoftmaxNode>(y, x, y);
  return y;
}

}  // namespace knnformer::ops
