#include "core/kernels/optimizer_update.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "kernel_testing.h"

using namespace knnformer;

namespace {

// The lengths that exercise the tails of the vector loops, and a long one
// spanning many parallel blocks, the last of them ragged.
const std::vector<int64_t> kLengths = [] {
  std::vector<int64_t> all = testing::kRowLengths;
  all.push_back(testing::kLongLength);
  return all;
}();

// A parameter with its gradient and optimizer state, of the sizes training
// sees: parameters and gradients O(1), first moments O(0.1), second moments
// in (0, 1).
struct ParameterState {
  std::vector<float> parameter, gradient, first_moment, second_moment;

  explicit ParameterState(int64_t count)
      : parameter(testing::random_vector(count, 1)),
        gradient(testing::random_vector(count, 2)),
        first_moment(testing::random_vector(count, 3, 0.1f)),
        second_moment(count) {
    CounterRng(4, {static_cast<uint64_t>(count)}).fill_uniform(second_moment.data(), count);
  }
};

// Step 2 of AdamW with β1 = 0.9, β2 = 0.95: c1 = 1 − 0.9², c2 = 1 − 0.95².
const kernels::AdamWStep kAdamWStep{1e-3f, 0.9f, 0.95f, 1e-8f, 0.1f, 0.19f, 0.0975f};

}  // namespace

TEST_CASE("optimizer update kernels: AdamW matches the reference on every target") {
  testing::for_each_simd_target([&] {
    for (const int64_t n : kLengths) {
      CAPTURE(n);
      const ParameterState start(n);
      ParameterState fast = start, slow = start;
      kernels::adamw_update(fast.parameter.data(), fast.gradient.data(), fast.first_moment.data(),
                            fast.second_moment.data(), n, kAdamWStep);
      kernels::reference::adamw_update(slow.parameter.data(), slow.gradient.data(), slow.first_moment.data(),
                                       slow.second_moment.data(), n, kAdamWStep);
      // m and v: the vector code rounds β·x + (1 − β)·y once (fused) where
      // the reference rounds the product β·x first, below 1 here: they differ
      // by at most half an ulp of 1, 6e-8. For v the reference also groups
      // (1 − β2)·g·g the other way, a rounding relative to v's own size:
      // 1.2e-7 relative covers it and the result's rounding.
      testing::check_close(fast.first_moment, slow.first_moment, 6e-8, 1.2e-7);
      testing::check_close(fast.second_moment, slow.second_moment, 6e-8, 1.2e-7);
      // p moves by lr·d, d = m̂/(√v̂ + ε) + λ·p, and |d| reaches a few
      // hundred where v is smallest. The vector path rounds d a few times
      // differently (products by 1/c instead of quotients, fused
      // multiply-adds), within 4 roundings, 2.4e-7 of |d|: with lr = 1e-3
      // that moves p by at most 2.4e-7·500·1e-3 = 1.2e-7. The product lr·d,
      // below 0.5, is rounded on the reference's path alone: 3e-8 more. p
      // itself rounds once more or less: 2.4e-7 relative with margin.
      testing::check_close(fast.parameter, slow.parameter, 1.5e-7, 2.4e-7);
    }
  });
}

TEST_CASE("optimizer update kernels: SGD, plain and Nesterov, matches the reference on every target") {
  testing::for_each_simd_target([&] {
    for (const bool nesterov : {false, true})
      for (const int64_t n : kLengths) {
        CAPTURE(nesterov);
        CAPTURE(n);
        // SGD's one state tensor, the momentum buffer, takes the first moment's place.
        const ParameterState start(n);
        ParameterState fast = start, slow = start;
        kernels::sgd_update(fast.parameter.data(), fast.gradient.data(), fast.first_moment.data(), n, 0.1f, 0.9f,
                            nesterov, 0.01f);
        kernels::reference::sgd_update(slow.parameter.data(), slow.gradient.data(), slow.first_moment.data(), n,
                                       0.1f, 0.9f, nesterov, 0.01f);
        // The buffer μ·b + g: the reference rounds the product μ·b, below
        // 0.5 here, first: half an ulp of 0.5, 3e-8, and the result's
        // rounding, relative 6e-8, apart.
        testing::check_close(fast.first_moment, slow.first_moment, 6e-8, 1.2e-7);
        // p − lr·(d + λ·p): d carries the buffer's error (6e-8 of b's size)
        // and, for Nesterov, the rounding of μ·b: together up to 5e-7 with b
        // up to a few units, 5e-8 once scaled by lr = 0.1. The product lr·(d + λ·p),
        // up to 1 here, is rounded on the reference's path alone: 6e-8 more.
        // Then p rounds once more or less.
        testing::check_close(fast.parameter, slow.parameter, 1.2e-7, 2.4e-7);
      }
  });
}

TEST_CASE("optimizer update kernels: the hand-computed first AdamW step, on every target") {
  // p = 1, g = 0.5, m = v = 0, lr = 0.1, β1 = 0.9, β2 = 0.99, λ = 0.1 at step 1:
  // m = 0.05, v = 0.0025, m̂ = 0.5, v̂ = 0.25, so p = 1 − 0.1·(0.5/0.5 + 0.1) = 0.89.
  testing::for_each_simd_target([&] {
    std::vector<float> p(17, 1.0f), m(17, 0.0f), v(17, 0.0f);
    const std::vector<float> g(17, 0.5f);
    kernels::adamw_update(p.data(), g.data(), m.data(), v.data(), 17, {0.1f, 0.9f, 0.99f, 1e-8f, 0.1f, 0.1f, 0.01f});
    for (const float value : p) CHECK(value == doctest::Approx(0.89).epsilon(1e-6));
    for (const float value : m) CHECK(value == doctest::Approx(0.05).epsilon(1e-6));
  });
}
