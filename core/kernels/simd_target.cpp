#include "core/kernels/simd_target.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "core/kernels/simd_target.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace knnformer::kernels::HWY_NAMESPACE {

// Compiled once per target: the copy that dispatch calls names its target.
int64_t dispatched_target() { return HWY_TARGET; }

}  // namespace knnformer::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE

#include <cstdlib>

#include "core/error.h"

namespace knnformer::kernels {

HWY_EXPORT(dispatched_target);

namespace {

struct NamedTarget {
  std::string_view name;
  int64_t target;
};

// KNNFORMER_SIMD's values on this architecture, best first.
#if HWY_ARCH_ARM_A64
constexpr NamedTarget kNamedTargets[] = {
    {"sve2_128", HWY_SVE2_128}, {"sve_256", HWY_SVE_256}, {"sve2", HWY_SVE2},
    {"sve", HWY_SVE},           {"neon", HWY_NEON},       {"emu128", HWY_BASELINE_SCALAR},
};
#else
constexpr NamedTarget kNamedTargets[] = {
    {"avx3_dl", HWY_AVX3_DL}, {"avx512", HWY_AVX3}, {"avx2", HWY_AVX2},
    {"sse4", HWY_SSE4},       {"ssse3", HWY_SSSE3}, {"emu128", HWY_BASELINE_SCALAR},
};
#endif

std::string accepted_values() {
  std::string list;
  for (const NamedTarget& named : kNamedTargets) list += (list.empty() ? "" : ", ") + std::string(named.name);
  return list;
}

// Points dispatch at the best target allowed. Highway's SupportedTargets()
// itself, when it detects the CPU, points dispatch at the best target the CPU
// has, cap or not: every call of it is followed by this.
void update_dispatch() { hwy::GetChosenTarget().Update(hwy::SupportedTargets()); }

// Disables every target better than cap. Highway's better targets have the
// lower bits, so those are exactly the bits below cap's.
void apply_cap(int64_t cap) {
  hwy::DisableTargets(cap - 1);
  update_dispatch();
}

}  // namespace

int64_t parse_simd_target_cap(std::string_view value) {
  for (const NamedTarget& named : kNamedTargets)
    if (named.name == value) return named.target;
  throw Error(std::string(kSimdVariable) + "=" + std::string(value) + ": not a SIMD target; accepted: " +
              accepted_values());
}

void select_simd_target() {
  // A function-local static is initialised once, by the first thread to get
  // here, while the others wait; if it throws, the next call tries again.
  static const bool selected = [] {
    const char* value = std::getenv(kSimdVariable);
    if (value && *value) apply_cap(parse_simd_target_cap(value));
    return true;
  }();
  (void)selected;
}

std::string simd_target_name() { return simd_target_name(simd_target()); }

int64_t simd_target() { return KNNFORMER_DISPATCH(dispatched_target)(); }

std::string simd_target_name(int64_t target) { return hwy::TargetName(target); }

std::vector<int64_t> runnable_simd_targets() {
  select_simd_target();
  std::vector<int64_t> targets = hwy::SupportedAndGeneratedTargets();
  update_dispatch();
  return targets;
}

}  // namespace knnformer::kernels

#endif  // HWY_ONCE
