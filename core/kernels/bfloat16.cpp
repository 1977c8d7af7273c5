#include "core/kernels/bfloat16.h"

#include <algorithm>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "core/kernels/bfloat16.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include "core/kernels/blocks.h"
#include "core/kernels/lanes-inl.h"

// Rounding to nearest even on the bits: adding 0x7FFF plus the lowest kept
// bit carries into the kept half exactly when the dropped half is above
// one half, or equal to it with the kept half odd. A NaN could carry into
// its exponent or lose its mantissa, so it keeps its upper half with the
// quiet bit set instead.

HWY_BEFORE_NAMESPACE();
namespace knnformer::kernels::HWY_NAMESPACE {

// The float's bits with its bfloat16, rounded, in their upper half (a NaN's
// quieted instead) and what is dropped in the lower half.
HWY_INLINE hn::Vec<hn::RebindToUnsigned<FloatTag>> bfloat16_in_upper_half(FloatVector x) {
  const hn::RebindToUnsigned<FloatTag> bits_tag;
  const auto bits = hn::BitCast(bits_tag, x);
  const auto kept_lowest = hn::And(hn::ShiftRight<16>(bits), hn::Set(bits_tag, 1u));
  const auto rounded = hn::Add(bits, hn::Add(hn::Set(bits_tag, 0x7FFFu), kept_lowest));
  const auto quiet_nan = hn::Or(bits, hn::Set(bits_tag, 0x00400000u));
  return hn::IfThenElse(hn::RebindMask(bits_tag, hn::IsNaN(x)), quiet_nan, rounded);
}

// The bfloat16 halves of a vector of floats.
HWY_INLINE hn::Vec<hn::Rebind<uint16_t, FloatTag>> bfloat16_halves(FloatVector x) {
  // Highway narrows 32-bit lanes to unsigned 16 bits from signed ones only; every lane is below
  // 2¹⁶ after the shift, so that saturating narrowing keeps it as it is.
  const auto halves = hn::BitCast(hn::RebindToSigned<FloatTag>(), hn::ShiftRight<16>(bfloat16_in_upper_half(x)));
  return hn::DemoteTo(hn::Rebind<uint16_t, FloatTag>(), halves);
}

HWY_INLINE void to_bfloat16_range(const float* in, uint16_t* out, int64_t count) {
  const FloatTag d;
  const hn::Rebind<uint16_t, FloatTag> half_tag;
  const auto lanes = static_cast<int64_t>(hn::Lanes(d));
  int64_t i = 0;
  for (; i + lanes <= count; i += lanes) hn::StoreU(bfloat16_halves(hn::LoadU(d, in + i)), half_tag, out + i);
  if (i == count) return;
  // The last few: converted through a buffer, so nothing past out + count is written.
  const auto rest = static_cast<size_t>(count - i);
  HWY_ALIGN uint16_t buffer[HWY_MAX_BYTES / sizeof(float)];
  hn::StoreU(bfloat16_halves(load_first(d, in + i, rest, 0.0f)), half_tag, buffer);
  std::copy_n(buffer, rest, out + i);
}

void to_bfloat16(const float* in, uint16_t* out, int64_t count) {
  for_each_block(count, kElementsPerBlock,
                 [&](int64_t begin, int64_t end) HWY_ATTR { to_bfloat16_range(in + begin, out + begin, end - begin); });
}

#if HWY_TARGET != HWY_SCALAR
// The bfloat16 pairs (even[j], odd[j]) of two vectors of floats, as 16-bit
// lanes in memory order: each 32-bit lane holds even[j]'s half below odd[j]'s
// (the lower half of a lane comes first in memory on x86 and ARM alike).
HWY_INLINE hn::Vec<hn::Repartition<uint16_t, FloatTag>> bfloat16_pairs(FloatVector even, FloatVector odd) {
  const hn::RebindToUnsigned<FloatTag> bits_tag;
  const auto upper = hn::And(bfloat16_in_upper_half(odd), hn::Set(bits_tag, 0xFFFF0000u));
  const auto lower = hn::ShiftRight<16>(bfloat16_in_upper_half(even));
  return hn::BitCast(hn::Repartition<uint16_t, FloatTag>(), hn::Or(upper, lower));
}

void to_bfloat16_pairs(const float* even, const float* odd, uint16_t* out, int64_t count) {
  const FloatTag d;
  const hn::Repartition<uint16_t, FloatTag> half_tag;
  const auto lanes = static_cast<int64_t>(hn::Lanes(d));
  int64_t j = 0;
  for (; j + lanes <= count; j += lanes)
    hn::StoreU(bfloat16_pairs(hn::LoadU(d, even + j), hn::LoadU(d, odd + j)), half_tag, out + 2 * j);
  if (j == count) return;
  const auto rest = static_cast<size_t>(count - j);
  HWY_ALIGN uint16_t buffer[HWY_MAX_BYTES / sizeof(uint16_t)];
  hn::StoreU(bfloat16_pairs(load_first(d, even + j, rest, 0.0f), load_first(d, odd + j, rest, 0.0f)), half_tag,
             buffer);
  std::copy_n(buffer, 2 * rest, out + 2 * j);
}

#else  // HWY_SCALAR: one lane, no pair of 16-bit lanes to fill

void to_bfloat16_pairs(const float* even, const float* odd, uint16_t* out, int64_t count) {
  for (int64_t j = 0; j < count; ++j) {
    to_bfloat16_range(even + j, out + 2 * j, 1);
    to_bfloat16_range(odd + j, out + 2 * j + 1, 1);
  }
}

#endif  // HWY_TARGET != HWY_SCALAR

}  // namespace knnformer::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE

#include <bit>

#include "core/kernels/simd_target.h"

namespace knnformer::kernels {

HWY_EXPORT(to_bfloat16);
HWY_EXPORT(to_bfloat16_pairs);

void to_bfloat16(const float* in, uint16_t* out, int64_t count) {
  KNNFORMER_DISPATCH(to_bfloat16)(in, out, count);
}

void to_bfloat16_pairs(const float* even, const float* odd, uint16_t* out, int64_t count) {
  KNNFORMER_DISPATCH(to_bfloat16_pairs)(even, odd, out, count);
}

namespace reference {

namespace {

uint16_t rounded_to_bfloat16(float value) {
  const auto bits = std::bit_cast<uint32_t>(value);
  if (value != value) return static_cast<uint16_t>((bits >> 16) | 0x0040u);
  return static_cast<uint16_t>((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
}

}  // namespace

void to_bfloat16(const float* in, uint16_t* out, int64_t count) {
  for_each_block(count, kElementsPerBlock, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) out[i] = rounded_to_bfloat16(in[i]);
  });
}

void to_bfloat16_pairs(const float* even, const float* odd, uint16_t* out, int64_t count) {
  for (int64_t j = 0; j < count; ++j) {
    out[2 * j] = rounded_to_bfloat16(even[j]);
    out[2 * j + 1] = rounded_to_bfloat16(odd[j]);
  }
}

}  // namespace reference

}  // namespace knnformer::kernels

#endif  // HWY_ONCE
