#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "optim/gradient_clipping.h"
#include "optim/optimizer.h"
#include "optim/schedule.h"

using namespace knnformer;

namespace {

NamedParameter parameter_with(const char* name, std::vector<float> values, std::vector<float> gradient) {
  Tensor t = Tensor::parameter({static_cast<int64_t>(values.size())});
  std::copy(values.begin(), values.end(), t.data());
  std::copy(gradient.begin(), gradient.end(), t.grad());
  return {name, t};
}

const DecayRule decay_all = [](const NamedParameter&) { return true; };
const DecayRule decay_none = [](const NamedParameter&) { return false; };

}  // namespace

TEST_CASE("AdamW: two steps equal the hand-computed values") {
  // p = 1, g = 0.5, lr = 0.1, β1 = 0.9, β2 = 0.99, ε = 1e-8, λ = 0.1.
  // Step 1: m = 0.05, v = 0.0025, m̂ = 0.5, v̂ = 0.25 → update 0.5/0.5 = 1;
  //         p = 1 - 0.1·(1 + 0.1·1) = 0.89.
  // Step 2 (same g): m = 0.095, v = 0.004975, m̂ = 0.095/0.19 = 0.5,
  //         v̂ = 0.004975/0.0199 = 0.25 → update 1; p = 0.89 - 0.1·(1 + 0.089) = 0.7811.
  const ParameterList parameters{parameter_with("w", {1.0f}, {0.5f})};
  auto adamw = make_adamw(parameters, {0.9, 0.99, 1e-8, 0.1}, decay_all);
  adamw->step(0.1);
  CHECK(parameters[0].tensor.data()[0] == doctest::Approx(0.89).epsilon(1e-6));
  adamw->step(0.1);
  CHECK(parameters[0].tensor.data()[0] == doctest::Approx(0.7811).epsilon(1e-6));
  CHECK(adamw->steps_taken() == 2);
  CHECK(adamw->state().size() == 2);
  CHECK(adamw->state()[0].name == "adamw.m.w");
  // Without decay, the first step moves p by exactly lr·sign(g).
  const ParameterList undecayed{parameter_with("b", {1.0f}, {-3.0f})};
  make_adamw(undecayed, {0.9, 0.99, 1e-8, 0.1}, decay_none)->step(0.1);
  CHECK(undecayed[0].tensor.data()[0] == doctest::Approx(1.1).epsilon(1e-6));
}

TEST_CASE("SGD: momentum and Nesterov steps equal the hand-computed values") {
  // g = 1, μ = 0.9, lr = 0.1. Plain momentum: b = 1, p = 1 - 0.1 = 0.9; then b = 1.9, p = 0.9 - 0.19 = 0.71.
  const ParameterList plain{parameter_with("w", {1.0f}, {1.0f})};
  auto sgd = make_sgd(plain, {0.9, 0.0, false}, decay_none);
  sgd->step(0.1);
  sgd->step(0.1);
  CHECK(plain[0].tensor.data()[0] == doctest::Approx(0.71).epsilon(1e-6));
  // Nesterov: b = 1, d = 1 + 0.9 = 1.9, p = 1 - 0.19 = 0.81; with decay 0.5: p = 1 - 0.1·(1.9 + 0.5) = 0.76.
  const ParameterList nesterov{parameter_with("w", {1.0f}, {1.0f})};
  make_sgd(nesterov, {0.9, 0.5, true}, decay_all)->step(0.1);
  CHECK(nesterov[0].tensor.data()[0] == doctest::Approx(0.76).epsilon(1e-6));
}

TEST_CASE("learning-rate schedule: warm-up, cosine middle, floor at the end") {
  const LearningRateSchedule schedule{1e-3, 1e-4, 10, 110};
  CHECK(schedule.at(0) == doctest::Approx(1e-4));
  CHECK(schedule.at(9) == doctest::Approx(1e-3));   // warm-up ends at lr
  CHECK(schedule.at(10) == doctest::Approx(1e-3));  // decay starts at lr
  // Middle of the decay (step 10 + 99/2): cosine at π/2, halfway between lr and min_lr.
  CHECK(LearningRateSchedule{1e-3, 1e-4, 10, 111}.at(60) == doctest::Approx(5.5e-4));
  CHECK(schedule.at(109) == doctest::Approx(1e-4));  // the last step
  CHECK(schedule.at(500) == doctest::Approx(1e-4));  // beyond: the floor
}

TEST_CASE("gradient clipping: scales to the max norm, leaves small gradients alone") {
  const ParameterList parameters{parameter_with("a", {0, 0}, {3, 0}), parameter_with("b", {0}, {4})};
  CHECK(gradient_norm(parameters) == doctest::Approx(5.0));
  CHECK(clip_gradients(parameters, 10.0) == doctest::Approx(5.0));
  CHECK(parameters[0].tensor.grad()[0] == 3.0f);
  CHECK(clip_gradients(parameters, 1.0) == doctest::Approx(5.0));
  CHECK(parameters[0].tensor.grad()[0] == doctest::Approx(0.6));
  CHECK(parameters[1].tensor.grad()[0] == doctest::Approx(0.8));
  CHECK(gradient_norm(parameters) == doctest::Approx(1.0));
}
