#pragma once
// Finite-difference gradient checking for every op's backward.
//
// check_gradients(f, inputs) compares the gradient that backward() computes
// for L = Σ r ⊙ f(inputs), with fixed random weights r (so that every output
// element matters and errors cannot cancel in a plain sum), against central
// differences (L(x + h) - L(x - h)) / 2h for every element of every input.
//
// Tolerances, for fp32: the central difference has truncation error
// O(h² · |L'''|) and rounding error about ε·|L|/h with ε = 6e-8; with
// h = 1e-2 and O(1) inputs both are near 1e-4 relative, so an element passes
// when |g - g_fd| <= atol + rtol·|g_fd| with atol = rtol = 2e-3 by default.
// A wrong backward (a missing term, a transposed index) is off by O(1).
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/error.h"
#include "core/rng.h"
#include "core/tensor.h"

namespace knnformer::testing {

struct GradientCheck {
  double step = 1e-2;
  double atol = 2e-3;
  double rtol = 2e-3;
};

// A tensor of the given shape with entries N(0, scale²) that requires grad.
inline Tensor random_input(const Shape& shape, uint64_t seed, float scale = 1.0f) {
  Tensor t = Tensor::parameter(shape);
  CounterRng(seed, {0xC0FFEE}).fill_normal(t.data(), t.numel(), 0.0f, scale);
  return t;
}

inline double weighted_sum(const Tensor& output, const std::vector<float>& weights) {
  double total = 0.0;
  for (int64_t i = 0; i < output.numel(); ++i) total += double(weights[i]) * output.data()[i];
  return total;
}

inline void check_gradients(const std::function<Tensor()>& forward, const std::vector<Tensor>& inputs,
                            const GradientCheck& options = {}) {
  for (const Tensor& input : inputs) input.zero_grad();
  Tensor output = forward();
  std::vector<float> weights(output.numel());
  CounterRng(7, {0xFD}).fill_normal(weights.data(), output.numel(), 0.0f, 1.0f);

  // Analytic: backward of Σ r ⊙ f, seeded through the output's gradient.
  std::copy(weights.begin(), weights.end(), output.grad());
  Tape::current().run_backward();

  for (size_t which = 0; which < inputs.size(); ++which) {
    const Tensor& input = inputs[which];
    const std::vector<float> analytic(input.grad(), input.grad() + input.numel());
    for (int64_t i = 0; i < input.numel(); ++i) {
      float& x = input.data()[i];
      const float saved = x;
      double losses[2];
      for (int side = 0; side < 2; ++side) {
        x = saved + static_cast<float>(side == 0 ? options.step : -options.step);
        const NoGrad no_grad;
        losses[side] = weighted_sum(forward(), weights);
      }
      x = saved;
      const double numeric = (losses[0] - losses[1]) / (2 * options.step);
      const double difference = std::abs(analytic[i] - numeric);
      INFO("input ", which, " element ", i, ": analytic ", analytic[i], " vs finite difference ", numeric);
      CHECK(difference <= options.atol + options.rtol * std::abs(numeric));
    }
  }
}

}  // namespace knnformer::testing
