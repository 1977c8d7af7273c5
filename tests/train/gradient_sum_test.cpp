#include <doctest/doctest.h>

#include <vector>

#include "train/gradient_sum.h"

using namespace knnformer;

namespace {

// A micro-batch's backward: the gradient overwrites the zeroed buffer.
void write_gradient(const Tensor& parameter, const std::vector<float>& values) {
  const Tensor::GradSink sink = parameter.grad_sink();
  REQUIRE(sink.overwrite);
  std::copy(values.begin(), values.end(), sink.data);
}

std::vector<float> gradient_of(const Tensor& parameter) {
  return {parameter.grad(), parameter.grad() + parameter.numel()};
}

}  // namespace

TEST_CASE("gradient sum: one micro-batch leaves its gradient as it is") {
  const Tensor weight = Tensor::parameter({3});
  GradientSum sum({{"weight", weight}}, 1);
  write_gradient(weight, {1.0f, -2.0f, 3.5f});
  sum.add_micro_batch();
  const GradientSumTimes times = sum.finish(ProcessGroup::world());
  CHECK(times.waiting == 0.0);
  CHECK(times.summing == 0.0);
  CHECK(gradient_of(weight) == std::vector<float>{1.0f, -2.0f, 3.5f});
}

TEST_CASE("gradient sum: micro-batches are added in order, each computed alone") {
  const Tensor weight = Tensor::parameter({2, 2}), bias = Tensor::parameter({3});
  const ParameterList parameters{{"weight", weight}, {"bias", bias}};
  GradientSum sum(parameters, 3, /*bucket_bytes=*/8);  // buckets smaller than a parameter
  // Three micro-batches whose grouping shows in the last bits: 1 + 2^-24 + 2^-24.
  const float tiny = 0x1p-24f;
  const std::vector<std::vector<float>> weight_gradients = {{1, 2, 3, 4}, {tiny, 0, 0, 0}, {tiny, 1, 1, 1}};
  const std::vector<std::vector<float>> bias_gradients = {{1, 1, 1}, {2, 2, 2}, {-3, 0, 3}};
  for (size_t micro = 0; micro < 3; ++micro) {
    write_gradient(weight, weight_gradients[micro]);
    write_gradient(bias, bias_gradients[micro]);
    sum.add_micro_batch();  // zeroes the buffers: the next backward overwrites them
  }
  sum.finish(ProcessGroup::world());
  // ((1 + tiny) + tiny) rounds to 1 at each step, as the sum in micro-batch order does.
  CHECK(gradient_of(weight) == std::vector<float>{(1.0f + tiny) + tiny, 3, 4, 5});
  CHECK(gradient_of(bias) == std::vector<float>{0, 3, 6});
}

TEST_CASE("gradient sum: it starts over at every step") {
  const Tensor weight = Tensor::parameter({2});
  GradientSum sum({{"weight", weight}}, 2);
  for (const float step_value : {1.0f, 10.0f}) {
    for (int micro = 0; micro < 2; ++micro) {
      write_gradient(weight, {step_value, -step_value});
      sum.add_micro_batch();
    }
    sum.finish(ProcessGroup::world());
    CHECK(gradient_of(weight) == std::vector<float>{2 * step_value, -2 * step_value});
    weight.zero_grad();
  }
}
