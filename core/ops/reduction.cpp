#include "core/ops/reduction.h"

#include "core/autograd.h"
#include "core/kernels/elementwise.h"
#include "core/kernels/reduction.h"

namespace knnformer::ops {

namespace {

// y = factor · Σ x, so every element of x receives factor · dy (factor 1 for sum, 1/n for mean).
struct ScaledSumNode : Node {
  ScaledSumNode(Tensor x_, Tensor y_, float factor_, std::string_view op_)
      : x(std::move(x_)), y(std::move(y_)), factor(factor_), op(op_) {}
  void backward() override {
    if (y.has_grad()) kernels::add_constant(factor * y.grad()[0], x.grad(), x.numel());
  }
  std::string_view name() const override { return op; }
  Tensor x, y;
  float factor;
  std::string_view op;
};

Tensor scaled_sum(const Tensor& x, float factor, std::string_view op) {
  Tensor y = Tensor::full(Shape{}, factor * kernels::sum(x.data(), x.numel()));
  if (needs_grad({&x})) record<ScaledSumNode>(y, x, y, factor, op);
  return y;
}

}  // namespace

Tensor sum(const Tensor& x) { return scaled_sum(x, 1.0f, "sum"); }

Tensor mean(const Tensor& x) { return scaled_sum(x, 1.0f / static_cast<float>(x.numel()), "mean"); }

}  // namespace knnformer::ops
