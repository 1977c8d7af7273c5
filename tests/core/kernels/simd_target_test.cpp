#include "core/kernels/simd_target.h"

#include <doctest/doctest.h>

#include <string>

#include "core/error.h"
#include "hwy/targets.h"

using namespace knnformer;

// The names of the architecture the tests run on; the other's are unknown there.
#if HWY_ARCH_ARM_A64
constexpr const char* kAcceptedList = "sve2_128, sve_256, sve2, sve, neon, emu128";
constexpr const char* kOtherArchitecturesName = "avx2";
#else
constexpr const char* kAcceptedList = "avx3_dl, avx512, avx2, sse4, ssse3, emu128";
constexpr const char* kOtherArchitecturesName = "neon";
#endif

TEST_CASE("simd target: KNNFORMER_SIMD's names parse to Highway's targets") {
#if HWY_ARCH_ARM_A64
  CHECK(kernels::parse_simd_target_cap("sve2_128") == HWY_SVE2_128);
  CHECK(kernels::parse_simd_target_cap("sve_256") == HWY_SVE_256);
  CHECK(kernels::parse_simd_target_cap("sve2") == HWY_SVE2);
  CHECK(kernels::parse_simd_target_cap("sve") == HWY_SVE);
  CHECK(kernels::parse_simd_target_cap("neon") == HWY_NEON);
#else
  CHECK(kernels::parse_simd_target_cap("avx3_dl") == HWY_AVX3_DL);
  CHECK(kernels::parse_simd_target_cap("avx512") == HWY_AVX3);
  CHECK(kernels::parse_simd_target_cap("avx2") == HWY_AVX2);
  CHECK(kernels::parse_simd_target_cap("sse4") == HWY_SSE4);
  CHECK(kernels::parse_simd_target_cap("ssse3") == HWY_SSSE3);
#endif
  CHECK(kernels::parse_simd_target_cap("emu128") == HWY_BASELINE_SCALAR);
}

TEST_CASE("simd target: an unknown name is an error naming the variable and the accepted values") {
  for (const char* bad : {"", "AVX2", "avx", "avx2 ", kOtherArchitecturesName}) {
    CAPTURE(bad);
    try {
      kernels::parse_simd_target_cap(bad);
      FAIL("no error");
    } catch (const Error& error) {
      const std::string message = error.what();
      CHECK(message.find("KNNFORMER_SIMD=" + std::string(bad) + ":") == 0);
      CHECK(message.find(kAcceptedList) != std::string::npos);
      CHECK(message.find('\n') == std::string::npos);
    }
  }
}

TEST_CASE("simd target: dispatch uses the best runnable target, and the scalar fallback is always there") {
  const std::vector<int64_t> targets = kernels::runnable_simd_targets();
  REQUIRE(!targets.empty());
  CHECK(kernels::simd_target_name() == kernels::simd_target_name(targets.front()));
  CHECK((targets.back() & (HWY_SCALAR | HWY_EMU128)) != 0);
  for (size_t i = 1; i < targets.size(); ++i) CHECK(targets[i - 1] < targets[i]);  // best (lowest bit) first
}
