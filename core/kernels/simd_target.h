#pragma once
// Which SIMD instructions the kernels of core/kernels run with.
//
// Each kernel is compiled once per target Highway can reach (SSSE3, SSE4,
// AVX2, AVX-512 as "AVX3", AVX-512 of Ice Lake and later as "AVX3_DL", and
// the scalar fallback), and its first call picks the best target this CPU
// runs. The environment variable KNNFORMER_SIMD caps that choice, to compare
// targets or to avoid one:
//
//   KNNFORMER_SIMD=avx2 knnformer train ...   // AVX2 at most, even on AVX-512 machines
//
// Its accepted values, best first: on x86 avx3_dl, avx512, avx2, sse4,
// ssse3; on 64-bit ARM sve2_128, sve_256 (SVE of those fixed widths), sve2,
// sve, neon; and emu128 for the scalar fallback (Highway's EMU128, or its SCALAR target
// under compilers whose EMU128 code is known to be miscompiled, GCC < 12.3).
// A cap above what the CPU has changes nothing. The cap is read once, before
// the first kernel dispatches, from whichever thread gets there first; an
// unknown value is an Error naming the variable and the accepted values.
//
//   std::cout << kernels::simd_target_name();   // "AVX3_DL"
//
// Target bits are Highway's (HWY_AVX2, ...): a lower bit is a better target.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace knnformer::kernels {

inline constexpr const char* kSimdVariable = "KNNFORMER_SIMD";

// Applies KNNFORMER_SIMD's cap the first time it is called, and does nothing
// afterwards. Every dispatched kernel calls it first (KNNFORMER_DISPATCH).
void select_simd_target();

// The best target KNNFORMER_SIMD=value allows, as a Highway target bit.
int64_t parse_simd_target_cap(std::string_view value);

// The target the kernels dispatch to now, e.g. "AVX3_DL", "AVX2", "SCALAR",
// by name and as a Highway target bit.
std::string simd_target_name();
int64_t simd_target();

// Highway's name of a target bit.
std::string simd_target_name(int64_t target);

// The targets this build compiled and this CPU runs, within KNNFORMER_SIMD's
// cap, best first.
std::vector<int64_t> runnable_simd_targets();

}  // namespace knnformer::kernels

// A kernel's dispatch: HWY_DYNAMIC_DISPATCH(function), after the cap is applied.
#define KNNFORMER_DISPATCH(function) (::knnformer::kernels::select_simd_target(), HWY_DYNAMIC_DISPATCH(function))
