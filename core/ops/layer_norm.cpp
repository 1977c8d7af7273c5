#include "core/ops/layer_norm.h"

#include "core/autograd.h"
#include "core/error.h"
#include "core/kernels/layer_norm.h"

namespace knnformer::ops {

namespace {

// The math of the backward is in core/kernels/layer_norm.cpp; this node only
// routes each gradient to the inputs that want one.
struct LayerNormNode : Node {
  LayerNormNode(Tensor x_, Tensor weight_, Tensor bias_, Tensor y_, Tensor mean_, Tensor rstd_)
      : x(std::move(x_)), weight(std::move(weight_)), bias(std::move(bias_)), y(std::move(y_)),
        mean(std::move(mean_)), rstd(std::move(rstd_)) {}
  void backward() override {
    if (!y.has_grad()) return;
    kernels::layer_norm_backward(x.data(), weight.data(), mean.data(), rstd.data(), y.grad(),
                                 x.requires_grad() ? x.grad() : nullptr,
                                 weight.requires_grad() ? weight.grad() : nullptr,
                                 bias.requires_grad() ? bias.grad() : nullptr, x.shape().rows(), x.shape().cols());
  }
  std::string_view name() const override { return "layer_norm"; }
  Tensor x, weight, bias, y, mean, rstd;
};

}  // namespace

Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps) {
  const int64_t rows = x.shape().rows(), cols = x.shape().cols();
  const Shape parameter_shape{cols};
  require(weight.shape() == parameter_shape && bias.shape() == parameter_shape,
          "layer_norm: input of shape " + x.shape().to_string() + " needs weight and bias of shape " +
              parameter_shape.to_string() + ", got " + weight.shape().to_string() + " and " + bias.shape().to_string());
  Tensor y = Tensor::empty(x.shape());
  Tensor mean = Tensor::empty({rows}), rstd = Tensor::empty({rows});
  kernels::layer_norm_forward(x.data(), weight.data(), bias.data(), y.data(), mean.data(), rstd.data(), rows, cols,
                              eps);
  if (needs_grad({&x, &weight, &bias})) record<LayerNormNode>(y, x, weight, bias, y, mean, rstd);
  return y;
}

}  // namespace knnformer::ops
