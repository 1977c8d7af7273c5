#include "core/kernels/elementwise.h"

#include <doctest/doctest.h>

#include "core/kernels/blocks.h"
#include "kernel_testing.h"

using namespace knnformer;
using testing::check_close;
using testing::random_vector;

namespace {

// The row lengths plus ones that span several parallel blocks with a ragged end.
std::vector<int64_t> lengths() {
  std::vector<int64_t> all = testing::kRowLengths;
  all.push_back(2 * kernels::kElementsPerBlock + 5);
  all.push_back(testing::kLongLength);
  return all;
}

}  // namespace

TEST_CASE("elementwise kernels: add, mul and scale give the reference's bits") {
  testing::for_each_simd_target([&] {
    for (const int64_t n : lengths()) {
      CAPTURE(n);
      const std::vector<float> a = random_vector(n, 1), b = random_vector(n, 2);
      std::vector<float> fast(n), slow(n);
      kernels::add(a.data(), b.data(), fast.data(), n);
      kernels::reference::add(a.data(), b.data(), slow.data(), n);
      CHECK(fast == slow);
      kernels::mul(a.data(), b.data(), fast.data(), n);
      kernels::reference::mul(a.data(), b.data(), slow.data(), n);
      CHECK(fast == slow);
      kernels::scale(a.data(), -0.3f, fast.data(), n);
      kernels::reference::scale(a.data(), -0.3f, slow.data(), n);
      CHECK(fast == slow);
    }
  });
}

TEST_CASE("elementwise kernels: accumulating kernels match the reference") {
  testing::for_each_simd_target([&] {
    // axpy and multiply_add round once (FMA) on the vector path and twice in the
    // reference: the two differ by at most one rounding of the product, half an
    // ulp of values of size O(1) each, so 2.4e-7 absolute bounds it with margin.
    for (const int64_t n : lengths()) {
      CAPTURE(n);
      const std::vector<float> a = random_vector(n, 3), b = random_vector(n, 4), y = random_vector(n, 5);
      std::vector<float> fast = y, slow = y;
      kernels::axpy(0.7f, a.data(), fast.data(), n);
      kernels::reference::axpy(0.7f, a.data(), slow.data(), n);
      check_close(fast, slow, 2.4e-7, 1.2e-7);
      fast = slow = y;
      kernels::multiply_add(a.data(), b.data(), fast.data(), n);
      kernels::reference::multiply_add(a.data(), b.data(), slow.data(), n);
      check_close(fast, slow, 2.4e-7, 1.2e-7);
      fast = slow = y;
      kernels::add_constant(1.5f, fast.data(), n);
      kernels::reference::add_constant(1.5f, slow.data(), n);
      CHECK(fast == slow);
    }
  });
}

TEST_CASE("elementwise kernels: the output may alias an input") {
  testing::for_each_simd_target([&] {
    std::vector<float> x{1, 2, 3, 4, 5, 6, 7, 8, 9};
    kernels::add(x.data(), x.data(), x.data(), 9);
    CHECK(x == std::vector<float>{2, 4, 6, 8, 10, 12, 14, 16, 18});
  });
}
