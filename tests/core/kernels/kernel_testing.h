#pragma once
// What the kernel tests share: random inputs, the row lengths that exercise
// the tails of the vector loops, a thread-count guard, a run of a test on
// every SIMD target this machine has, and an elementwise comparison that
// reports the worst element.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "core/kernels/simd_target.h"
#include "core/parallel.h"
#include "core/rng.h"
#include "hwy/targets.h"

namespace knnformer::testing {

// Lengths around multiples of the vector lengths (4, 8 and 16 floats): 1, 3,
// 7 and 15 are all tail on AVX-512; 9, 17, 33, 257 a tail after full vectors.
inline const std::vector<int64_t> kRowLengths{1, 3, 7, 8, 9, 15, 16, 17, 33, 257};

// A long odd length: many parallel blocks, the last one ragged, and a tail.
inline constexpr int64_t kLongLength = 1000003;

inline std::vector<float> random_vector(int64_t count, uint64_t seed, float stddev = 1.0f, float mean = 0.0f) {
  std::vector<float> values(count);
  CounterRng(seed, {0xBEEF}).fill_normal(values.data(), count, mean, stddev);
  return values;
}

// Sets the kernels' thread count for its lifetime.
class ThreadCount {
 public:
  explicit ThreadCount(int threads) : previous_(num_threads()) { set_num_threads(threads); }
  ThreadCount(const ThreadCount&) = delete;
  ThreadCount& operator=(const ThreadCount&) = delete;
  ~ThreadCount() { set_num_threads(previous_); }

 private:
  int previous_;
};

// Restricts dispatch to one target for its lifetime, then lifts the restriction.
class ForcedSimdTarget {
 public:
  explicit ForcedSimdTarget(int64_t target) {
    hwy::SetSupportedTargetsForTest(target);
    hwy::GetChosenTarget().Update(hwy::SupportedTargets());
  }
  ForcedSimdTarget(const ForcedSimdTarget&) = delete;
  ForcedSimdTarget& operator=(const ForcedSimdTarget&) = delete;
  ~ForcedSimdTarget() {
    hwy::SetSupportedTargetsForTest(0);
    hwy::GetChosenTarget().Update(hwy::SupportedTargets());
  }
};

// Runs body() once on each SIMD target this machine runs, the target's name
// in the report of any check that fails.
template <class Body>
void for_each_simd_target(Body&& body) {
  for (const int64_t target : kernels::runnable_simd_targets()) {
    const std::string name = kernels::simd_target_name(target);
    CAPTURE(name);
    const ForcedSimdTarget forced(target);
    REQUIRE(kernels::simd_target_name() == name);
    body();
  }
}

// Checks |actual − expected| <= atol + rtol·|expected| for every element,
// reporting the first element that fails.
inline void check_close(const std::vector<float>& actual, const std::vector<float>& expected, double atol,
                        double rtol) {
  REQUIRE(actual.size() == expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    const double bound = atol + rtol * std::abs(double(expected[i]));
    if (!(std::abs(double(actual[i]) - expected[i]) <= bound)) {
      FAIL_CHECK("element " << i << ": " << actual[i] << " vs reference " << expected[i] << " (bound " << bound << ")");
      return;
    }
  }
}

}  // namespace knnformer::testing
