#include "core/kernels/philox_rounds.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "core/kernels/philox_rounds.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

// Shared by the vector code and the reference; defined on the first of the
// passes that hwy/foreach_target.h makes over this file, one per target.
#ifndef KNNFORMER_CORE_KERNELS_PHILOX_CONSTANTS
#define KNNFORMER_CORE_KERNELS_PHILOX_CONSTANTS
namespace knnformer::kernels::philox_constants {
// Philox4x32's round multipliers and key increments (Salmon et al.).
inline constexpr uint32_t kMultiplier0 = 0xD2511F53u, kMultiplier1 = 0xCD9E8D57u;
inline constexpr uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;
inline constexpr int kRounds = 10;
}  // namespace knnformer::kernels::philox_constants
#endif

// The vector code, compiled once per target. Each 64-bit lane holds one
// block, each of its four words in the low half of a lane of its own vector
// (the high half zero), so that MulEven, which multiplies the low halves,
// gives the full 64-bit product of a round, whose high and low halves are
// the new words.
HWY_BEFORE_NAMESPACE();
namespace knnformer::kernels::HWY_NAMESPACE {

namespace hn = hwy::HWY_NAMESPACE;
using namespace philox_constants;

using WideTag = hn::ScalableTag<uint64_t>;
using WideVector = hn::Vec<WideTag>;

// The full 64-bit products of a's and b's lanes, which hold 32-bit words.
HWY_INLINE WideVector multiply_words(WideVector a, WideVector b) {
#if HWY_TARGET == HWY_SCALAR
  // One lane, multiplied as a whole: the words' product cannot overflow it.
  return hn::Mul(a, b);
#else
  const hn::Repartition<uint32_t, WideTag> halves;
  return hn::MulEven(hn::BitCast(halves, a), hn::BitCast(halves, b));
#endif
}

HWY_INLINE WideVector low_half(WideVector a) { return hn::And(a, hn::Set(WideTag(), uint64_t{0xFFFFFFFF})); }

// The ten rounds on a vector of blocks, in place.
HWY_INLINE void philox_rounds(WideVector& word0, WideVector& word1, WideVector& word2, WideVector& word3,
                              PhiloxKey key) {
  const WideTag d;
  for (int round = 0; round < kRounds; ++round) {
    const WideVector product0 = multiply_words(word0, hn::Set(d, uint64_t{kMultiplier0}));
    const WideVector product1 = multiply_words(word2, hn::Set(d, uint64_t{kMultiplier1}));
    word0 = hn::Xor(hn::Xor(hn::ShiftRight<32>(product1), word1), hn::Set(d, uint64_t{key[0]}));
    word1 = low_half(product1);
    word2 = hn::Xor(hn::Xor(hn::ShiftRight<32>(product0), word3), hn::Set(d, uint64_t{key[1]}));
    word3 = low_half(product0);
    key[0] += kWeyl0;
    key[1] += kWeyl1;
  }
}

// Blocks first, first + 1, ..., one per lane, written 4 words each to out.
HWY_INLINE void philox_vector_of_blocks(uint64_t first, uint64_t stream, PhiloxKey key, uint32_t* out) {
  const WideTag d;
  const WideVector blocks = hn::Add(hn::Set(d, first), hn::Iota(d, 0));
  WideVector word0 = low_half(blocks), word1 = hn::ShiftRight<32>(blocks);
  WideVector word2 = hn::Set(d, stream & 0xFFFFFFFF), word3 = hn::Set(d, stream >> 32);
  philox_rounds(word0, word1, word2, word3, key);
  // Little-endian: a lane holding word0 below word1 is the pair (word0,
  // word1) in memory; the lanes of the two pairs, interleaved, are the blocks.
  const WideVector pair01 = hn::Or(word0, hn::ShiftLeft<32>(word1));
  const WideVector pair23 = hn::Or(word2, hn::ShiftLeft<32>(word3));
  hn::StoreInterleaved2(pair01, pair23, d, reinterpret_cast<uint64_t*>(out));
}

// Whole vectors of blocks, the last count % lanes blocks one at a time.
void philox4x32_blocks(uint64_t block, uint64_t stream, PhiloxKey key, int64_t count, uint32_t* out) {
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(WideTag()));
  int64_t b = 0;
  for (; b + lanes <= count; b += lanes) philox_vector_of_blocks(block + b, stream, key, out + 4 * b);
  kernels::reference::philox4x32_blocks(block + b, stream, key, count - b, out + 4 * b);
}

}  // namespace knnformer::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE

#include <algorithm>

#include "core/kernels/simd_target.h"

namespace knnformer::kernels {

HWY_EXPORT(philox4x32_blocks);

void philox4x32_blocks(uint64_t block, uint64_t stream, PhiloxKey key, int64_t count, uint32_t* out) {
  KNNFORMER_DISPATCH(philox4x32_blocks)(block, stream, key, count, out);
}

namespace reference {

using namespace philox_constants;

PhiloxCounter philox4x32(PhiloxCounter counter, PhiloxKey key) {
  for (int round = 0; round < kRounds; ++round) {
    const uint64_t product0 = uint64_t{kMultiplier0} * counter[0];
    const uint64_t product1 = uint64_t{kMultiplier1} * counter[2];
    counter = {static_cast<uint32_t>(product1 >> 32) ^ counter[1] ^ key[0], static_cast<uint32_t>(product1),
               static_cast<uint32_t>(product0 >> 32) ^ counter[3] ^ key[1], static_cast<uint32_t>(product0)};
    key[0] += kWeyl0;
    key[1] += kWeyl1;
  }
  return counter;
}

void philox4x32_blocks(uint64_t block, uint64_t stream, PhiloxKey key, int64_t count, uint32_t* out) {
  for (int64_t b = 0; b < count; ++b, ++block) {
    const PhiloxCounter words =
        philox4x32({static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32), static_cast<uint32_t>(stream),
                    static_cast<uint32_t>(stream >> 32)},
                   key);
    std::copy(words.begin(), words.end(), out + 4 * b);
  }
}

}  // namespace reference

}  // namespace knnformer::kernels

#endif  // HWY_ONCE
