#include "core/kernels/bfloat16.h"

#include <bit>
#include <cmath>
#include <limits>

#include <doctest/doctest.h>

#include "kernel_testing.h"

using namespace knnformer;

namespace {

std::vector<uint16_t> converted(const std::vector<float>& x, bool vector_code) {
  std::vector<uint16_t> out(x.size());
  if (vector_code)
    kernels::to_bfloat16(x.data(), out.data(), static_cast<int64_t>(x.size()));
  else
    kernels::reference::to_bfloat16(x.data(), out.data(), static_cast<int64_t>(x.size()));
  return out;
}

}  // namespace

TEST_CASE("to_bfloat16: rounds to nearest, ties to even, on hand-made values") {
  const float inf = std::numeric_limits<float>::infinity();
  // 1 + 2⁻⁸ is halfway between 1 and the next bfloat16 (1 + 2⁻⁷): the tie goes to even, 1.
  // 1 + 3·2⁻⁸ is halfway between 1 + 2⁻⁷ (odd) and 1 + 2⁻⁶: it goes up.
  const std::vector<float> x{1.0f,
                             1.0f + 0x1p-8f,
                             1.0f + 3 * 0x1p-8f,
                             1.0f + 0x1p-8f + 0x1p-20f,
                             -2.5f,
                             0.0f,
                             -0.0f,
                             inf,
                             -inf,
                             std::numeric_limits<float>::max(),
                             std::numeric_limits<float>::denorm_min()};
  const std::vector<float> expected{1.0f, 1.0f,  1.0f + 0x1p-6f, 1.0f + 0x1p-7f, -2.5f, 0.0f, -0.0f,
                                    inf,  -inf, inf,            std::numeric_limits<float>::denorm_min() * 0};
  for (const bool vector_code : {false, true}) {
    CAPTURE(vector_code);
    const std::vector<uint16_t> halves = converted(x, vector_code);
    for (size_t i = 0; i < x.size(); ++i) {
      CAPTURE(x[i]);
      CHECK(std::bit_cast<uint32_t>(kernels::from_bfloat16(halves[i])) == std::bit_cast<uint32_t>(expected[i]));
    }
  }
}

TEST_CASE("to_bfloat16: NaNs stay NaNs, quiet, with their sign") {
  const float signalling = std::bit_cast<float>(0x7F800001u);  // its payload is all in the dropped half
  const std::vector<float> x{std::numeric_limits<float>::quiet_NaN(), signalling, -signalling};
  for (const bool vector_code : {false, true}) {
    const std::vector<uint16_t> halves = converted(x, vector_code);
    for (size_t i = 0; i < x.size(); ++i) {
      CHECK(std::isnan(kernels::from_bfloat16(halves[i])));
      CHECK(std::signbit(kernels::from_bfloat16(halves[i])) == std::signbit(x[i]));
      CHECK((halves[i] & 0x0040u) != 0);
    }
  }
}

TEST_CASE("to_bfloat16: within half a unit in the last of its 8 bits, and equal to the reference on every target") {
  testing::for_each_simd_target([&] {
    std::vector<int64_t> lengths = testing::kRowLengths;
    lengths.push_back(testing::kLongLength);
    for (const int64_t n : lengths) {
      CAPTURE(n);
      const std::vector<float> x = testing::random_vector(n, 21, 100.0f);
      const std::vector<uint16_t> fast = converted(x, true), slow = converted(x, false);
      REQUIRE(fast == slow);
      for (int64_t i = 0; i < n; ++i)
        REQUIRE(std::abs(kernels::from_bfloat16(fast[i]) - x[i]) <= 0x1p-8f * std::abs(x[i]));
    }
  });
}

TEST_CASE("to_bfloat16: writes nothing past the end") {
  testing::for_each_simd_target([&] {
    for (const int64_t n : testing::kRowLengths) {
      const std::vector<float> x = testing::random_vector(n, 5);
      std::vector<uint16_t> out(n + 32, 0xABCD);
      kernels::to_bfloat16(x.data(), out.data(), n);
      for (int64_t i = n; i < n + 32; ++i) REQUIRE(out[i] == 0xABCD);
    }
  });
}

TEST_CASE("to_bfloat16_pairs: interleaves two rows as to_bfloat16 rounds them, on every target, nothing past the end") {
  testing::for_each_simd_target([&] {
    for (const int64_t n : testing::kRowLengths) {
      CAPTURE(n);
      const std::vector<float> even = testing::random_vector(n, 31, 10.0f), odd = testing::random_vector(n, 32, 0.1f);
      const std::vector<uint16_t> even_halves = converted(even, false), odd_halves = converted(odd, false);
      std::vector<uint16_t> pairs(2 * n + 32, 0xABCD), reference_pairs(2 * n);
      kernels::to_bfloat16_pairs(even.data(), odd.data(), pairs.data(), n);
      kernels::reference::to_bfloat16_pairs(even.data(), odd.data(), reference_pairs.data(), n);
      for (int64_t j = 0; j < n; ++j) {
        REQUIRE(pairs[2 * j] == even_halves[j]);
        REQUIRE(pairs[2 * j + 1] == odd_halves[j]);
        REQUIRE(reference_pairs[2 * j] == even_halves[j]);
        REQUIRE(reference_pairs[2 * j + 1] == odd_halves[j]);
      }
      for (int64_t i = 2 * n; i < 2 * n + 32; ++i) REQUIRE(pairs[i] == 0xABCD);
    }
  });
}
