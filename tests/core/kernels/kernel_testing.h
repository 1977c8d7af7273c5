#pragma once
// What the kernel tests share: random inputs, the row lengths that exercise
// the masked tails of the 8-lane loops, a thread-count guard, and an
// elementwise comparison that reports the worst element.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "core/parallel.h"
#include "core/rng.h"

namespace knnformer::testing {

// Lengths around multiples of 8 (1, 3, 7 are all tail; 9, 17, 33, 257 a tail after full vectors).
inline const std::vector<int64_t> kRowLengths{1, 3, 7, 8, 9, 16, 17, 33, 257};

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

// Checks |actual − expected| <= atol + rtol·|expected| for every element,
// reporting the first element that fails.
inline void check_close(const std::vector<float>& actual, const std::vector<float>& expected, double atol, double rtol) {
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
