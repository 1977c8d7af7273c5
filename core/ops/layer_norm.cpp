#include "core/ops/layer_norm.h"

#include <algorithm>

#include "core/autograd.h"
#include "core/error.h"
#include "core/kernels/elementwise.h"
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

// Routes the total gradient of sum (from its other readers and through the
// layer norm) to both addends in the kernel's one pass; when only sum's
// other readers sent a gradient, each addend receives it as add's would.
struct AddLayerNormNode : Node {
  AddLayerNormNode(Tensor a_, Tensor b_, Tensor weight_, Tensor bias_, Tensor sum_, Tensor y_, Tensor mean_,
                   Tensor rstd_)
      : a(std::move(a_)), b(std::move(b_)), weight(std::move(weight_)), bias(std::move(bias_)),
        sum(std::move(sum_)), y(std::move(y_)), mean(std::move(mean_)), rstd(std::move(rstd_)) {}
  void backward() override {
    if (!y.has_grad() && !sum.has_grad()) return;
    const auto target = [](const Tensor& addend) {
      if (!addend.requires_grad()) return kernels::GradientTarget{};
      const Tensor::GradSink sink = addend.grad_sink();
      return kernels::GradientTarget{sink.data, sink.overwrite};
    };
    const kernels::GradientTarget da = target(a), db = target(b);
    const float* dsum = sum.has_grad() ? sum.grad() : nullptr;
    if (!y.has_grad()) {
      for (const kernels::GradientTarget& addend : {da, db})
        if (addend.data) put_sum_gradient(addend, dsum);
      return;
    }
    kernels::add_layer_norm_backward(sum.data(), weight.data(), mean.data(), rstd.data(), y.grad(), dsum, da, db,
                                     weight.requires_grad() ? weight.grad() : nullptr,
                                     bias.requires_grad() ? bias.grad() : nullptr, sum.shape().rows(),
                                     sum.shape().cols());
  }
  std::string_view name() const override { return "add_layer_norm"; }

  void put_sum_gradient(const kernels::GradientTarget& addend, const float* dsum) const {
    if (addend.overwrite)
      std::copy_n(dsum, sum.numel(), addend.data);
    else
      kernels::add(addend.data, dsum, addend.data, sum.numel());
  }

  Tensor a, b, weight, bias, sum, y, mean, rstd;
};

void require_parameters_fit(const char* op, const Shape& input, const Tensor& weight, const Tensor& bias) {
  const Shape parameter_shape{input.cols()};
  require(weight.shape() == parameter_shape && bias.shape() == parameter_shape,
          std::string(op) + ": input of shape " + input.to_string() + " needs weight and bias of shape " +
              parameter_shape.to_string() + ", got " + weight.shape().to_string() + " and " +
              bias.shape().to_string());
}

}  // namespace

Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps) {
  const int64_t rows = x.shape().rows(), cols = x.shape().cols();
  require_parameters_fit("layer_norm", x.shape(), weight, bias);
  Tensor y = Tensor::empty(x.shape());
  Tensor mean = Tensor::empty({rows}), rstd = Tensor::empty({rows});
  kernels::layer_norm_forward(x.data(), weight.data(), bias.data(), y.data(), mean.data(), rstd.data(), rows, cols,
                              eps);
  if (needs_grad({&x, &weight, &bias})) record<LayerNormNode>(y, x, weight, bias, y, mean, rstd);
  return y;
}

ResidualNorm add_layer_norm(const Tensor& a, const Tensor& b, const Tensor& weight, const Tensor& bias, float eps) {
  require(a.shape() == b.shape(),
          "add_layer_norm: shapes " + a.shape().to_string() + " and " + b.shape().to_string() + " differ");
  require_parameters_fit("add_layer_norm", a.shape(), weight, bias);
  const int64_t rows = a.shape().rows(), cols = a.shape().cols();
  ResidualNorm result{Tensor::empty(a.shape()), Tensor::empty(a.shape())};
  Tensor mean = Tensor::empty({rows}), rstd = Tensor::empty({rows});
  kernels::add_layer_norm_forward(a.data(), b.data(), weight.data(), bias.data(), result.sum.data(),
                                  result.normalized.data(), mean.data(), rstd.data(), rows, cols, eps);
  if (needs_grad({&a, &b, &weight, &bias})) {
    result.sum.set_requires_grad(true);
    record<AddLayerNormNode>(result.normalized, a, b, weight, bias, result.sum, result.normalized, mean, rstd);
  }
  return result;
}

}  // namespace knnformer::ops
