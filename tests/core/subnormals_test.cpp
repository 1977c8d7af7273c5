#include <doctest/doctest.h>

#include <limits>
#include <vector>

#include "core/parallel.h"
#include "core/subnormals.h"

using namespace knnformer;

namespace {

// A product of two normal floats whose exact value is subnormal; volatile so
// that the compiler cannot fold it at build time, where no flushing applies.
float subnormal_product() {
  volatile float smallest_normal = std::numeric_limits<float>::min();
  volatile float half = 0.5f;
  return smallest_normal * half;
}

}  // namespace

TEST_CASE("set_num_threads: every thread of the team flushes subnormal results to zero") {
  const int threads_before = num_threads();
  set_num_threads(2);
  std::vector<int> flushes(2, 0);
  std::vector<float> products(2, -1.0f);
#pragma omp parallel num_threads(2)
  {
    const int thread = omp_get_thread_num();
    flushes[thread] = this_thread_flushes_subnormals() ? 1 : 0;
    products[thread] = subnormal_product();
  }
  for (int thread = 0; thread < 2; ++thread) {
    CAPTURE(thread);
#if defined(__x86_64__) || defined(__aarch64__)
    CHECK(flushes[thread] == 1);
    CHECK(products[thread] == 0.0f);
#endif
  }
  set_num_threads(threads_before);
}
