// The sampling kernels against their scalar references
// (core/kernels/sampling.h), at lengths around the vectors of 2 to 16 lanes
// and the 64-sum window, on every SIMD target this machine runs.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "core/kernels/sampling.h"
#include "core/rng.h"
#include "kernel_testing.h"

using namespace knnformer;
using namespace knnformer::kernels;
using knnformer::testing::for_each_simd_target;

TEST_CASE("sampling kernels: dot, add_scaled and exp_shifted agree with their scalar references") {
  for_each_simd_target([] {
    for (const int64_t n : {1, 7, 8, 13, 64, 67}) {
      std::vector<float> a(n), b(n), y(n), y_reference(n), e(n), e_reference(n);
      CounterRng rng(3, {uint64_t(n)});
      rng.fill_normal(a.data(), n, 0.0f, 3.0f);
      rng.fill_normal(b.data(), n, 0.0f, 1.0f);
      rng.fill_normal(y.data(), n, 0.0f, 1.0f);
      y_reference = y;
      double magnitude = 0.0;
      for (int64_t c = 0; c < n; ++c) magnitude += std::abs(a[c] * b[c]);
      // Sums of n products in another order: within n·ε·Σ|a_c b_c|.
      const float dot = sampling::dot(a.data(), b.data(), n);
      CHECK(std::abs(dot - sampling::reference::dot(a.data(), b.data(), n)) <= n * 1.2e-7 * magnitude + 1e-30);
      sampling::add_scaled(0.7f, a.data(), y.data(), n);
      sampling::reference::add_scaled(0.7f, a.data(), y_reference.data(), n);
      sampling::exp_shifted(a.data(), n, 2.0f, e.data());
      sampling::reference::exp_shifted(a.data(), n, 2.0f, e_reference.data());
      for (int64_t c = 0; c < n; ++c) {
        CHECK(y[c] == doctest::Approx(y_reference[c]).epsilon(1e-6).scale(1.0));  // one FMA rounding
        CHECK(e[c] == doctest::Approx(e_reference[c]).epsilon(3e-7));             // 1 ulp
      }
    }
  });
}

TEST_CASE("sampling kernels: first_sum_above finds the index std::upper_bound does, clamped to the last") {
  for_each_simd_target([] {
    // Lengths around the vector width and the 64-sum window, running sums
    // with ties (zero weights) and targets on, between, below and above them.
    for (const int64_t n : {1, 2, 7, 8, 9, 63, 64, 65, 128, 129, 1000, 5003}) {
      INFO("n = ", n);
      CounterRng rng(9, {uint64_t(n)});
      std::vector<double> sums(n);
      double total = 0.0;
      for (double& sum : sums) sum = total += rng.uniform() < 0.2f ? 0.0 : rng.uniform_double();
      std::vector<double> targets{-1.0, 0.0, total, total + 1.0};
      for (int t = 0; t < 200; ++t) targets.push_back(rng.uniform_double() * total);
      for (int t = 0; t < 50; ++t) targets.push_back(sums[rng.below(n)]);
      for (const double target : targets)
        CHECK(sampling::first_sum_above(sums.data(), n, target) ==
              sampling::reference::first_sum_above(sums.data(), n, target));
    }
  });
}

TEST_CASE("sampling kernels: add_scaled_to_double agrees with its reference to one rounding of each sum") {
  for_each_simd_target([] {
    for (const int64_t n : {1, 3, 7, 8, 9, 64, 67}) {
      CAPTURE(n);
      const std::vector<float> x = testing::random_vector(n, 10);
      std::vector<double> y(n, 0.25), y_reference(n, 0.25);
      sampling::add_scaled_to_double(0.7, x.data(), y.data(), n);
      sampling::reference::add_scaled_to_double(0.7, x.data(), y_reference.data(), n);
      for (int64_t c = 0; c < n; ++c)  // a fused multiply-add may round once where the reference rounds twice
        CHECK(std::abs(y[c] - y_reference[c]) <= 2.3e-16 * (std::abs(y_reference[c]) + std::abs(0.7 * x[c])));
    }
  });
}

