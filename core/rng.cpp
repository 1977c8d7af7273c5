#include "core/rng.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "core/kernels/avx512_intrinsics.h"

namespace knnformer {

uint64_t mix64(uint64_t value) {
  value += 0x9E3779B97F4A7C15ull;
  value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9ull;
  value = (value ^ (value >> 27)) * 0x94D049BB133111EBull;
  return value ^ (value >> 31);
}

namespace {
// Philox4x32's round multipliers and key increments (Salmon et al.).
constexpr uint32_t kMultiplier0 = 0xD2511F53u, kMultiplier1 = 0xCD9E8D57u;
constexpr uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;
}  // namespace

std::array<uint32_t, 4> philox4x32(std::array<uint32_t, 4> counter, std::array<uint32_t, 2> key) {
  for (int round = 0; round < 10; ++round) {
    const uint64_t product0 = uint64_t{kMultiplier0} * counter[0];
    const uint64_t product1 = uint64_t{kMultiplier1} * counter[2];
    counter = {static_cast<uint32_t>(product1 >> 32) ^ counter[1] ^ key[0], static_cast<uint32_t>(product1),
               static_cast<uint32_t>(product0 >> 32) ^ counter[3] ^ key[1], static_cast<uint32_t>(product0)};
    key[0] += kWeyl0;
    key[1] += kWeyl1;
  }
  return counter;
}

void philox4x32_blocks_reference(uint64_t block, uint64_t stream, std::array<uint32_t, 2> key, int64_t count,
                                 uint32_t* out) {
  for (int64_t b = 0; b < count; ++b, ++block) {
    const std::array<uint32_t, 4> words =
        philox4x32({static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32), static_cast<uint32_t>(stream),
                    static_cast<uint32_t>(stream >> 32)},
                   key);
    std::copy(words.begin(), words.end(), out + 4 * b);
  }
}

#if defined(__AVX512F__)

// Eight blocks at a time, one per 64-bit lane: each counter word sits in the
// low half of its lane, so that _mm512_mul_epu32 gives the full 64-bit
// product of a round, whose high half and low half are the new words.
void philox4x32_blocks(uint64_t block, uint64_t stream, std::array<uint32_t, 2> key, int64_t count, uint32_t* out) {
  const __m512i low_half = _mm512_set1_epi64(0xFFFFFFFF);
  const __m512i multiplier0 = _mm512_set1_epi64(kMultiplier0), multiplier1 = _mm512_set1_epi64(kMultiplier1);
  const __m512i lane = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7);
  int64_t b = 0;
  for (; b + 8 <= count; b += 8) {
    const __m512i blocks = _mm512_add_epi64(_mm512_set1_epi64(static_cast<int64_t>(block + b)), lane);
    __m512i word0 = _mm512_and_si512(blocks, low_half), word1 = _mm512_srli_epi64(blocks, 32);
    __m512i word2 = _mm512_set1_epi64(static_cast<uint32_t>(stream));
    __m512i word3 = _mm512_set1_epi64(static_cast<uint32_t>(stream >> 32));
    uint32_t key0 = key[0], key1 = key[1];
    for (int round = 0; round < 10; ++round) {
      const __m512i product0 = _mm512_mul_epu32(word0, multiplier0);
      const __m512i product1 = _mm512_mul_epu32(word2, multiplier1);
      word0 = _mm512_xor_si512(_mm512_xor_si512(_mm512_srli_epi64(product1, 32), word1), _mm512_set1_epi64(key0));
      word1 = _mm512_and_si512(product1, low_half);
      word2 = _mm512_xor_si512(_mm512_xor_si512(_mm512_srli_epi64(product0, 32), word3), _mm512_set1_epi64(key1));
      word3 = _mm512_and_si512(product0, low_half);
      key0 += kWeyl0;
      key1 += kWeyl1;
    }
    // Interleave the four words of each block: (w0, w1, w2, w3) of block 0, then of block 1, …
    const __m256i w0 = _mm512_cvtepi64_epi32(word0), w1 = _mm512_cvtepi64_epi32(word1);
    const __m256i w2 = _mm512_cvtepi64_epi32(word2), w3 = _mm512_cvtepi64_epi32(word3);
    const __m256i low01 = _mm256_unpacklo_epi32(w0, w1), low23 = _mm256_unpacklo_epi32(w2, w3);
    const __m256i high01 = _mm256_unpackhi_epi32(w0, w1), high23 = _mm256_unpackhi_epi32(w2, w3);
    const __m256i blocks04 = _mm256_unpacklo_epi64(low01, low23), blocks15 = _mm256_unpackhi_epi64(low01, low23);
    const __m256i blocks26 = _mm256_unpacklo_epi64(high01, high23), blocks37 = _mm256_unpackhi_epi64(high01, high23);
    auto* const destination = reinterpret_cast<__m256i*>(out + 4 * b);
    _mm256_storeu_si256(destination + 0, _mm256_permute2x128_si256(blocks04, blocks15, 0x20));
    _mm256_storeu_si256(destination + 1, _mm256_permute2x128_si256(blocks26, blocks37, 0x20));
    _mm256_storeu_si256(destination + 2, _mm256_permute2x128_si256(blocks04, blocks15, 0x31));
    _mm256_storeu_si256(destination + 3, _mm256_permute2x128_si256(blocks26, blocks37, 0x31));
  }
  philox4x32_blocks_reference(block + b, stream, key, count - b, out + 4 * b);
}

#else

void philox4x32_blocks(uint64_t block, uint64_t stream, std::array<uint32_t, 2> key, int64_t count, uint32_t* out) {
  philox4x32_blocks_reference(block, stream, key, count, out);
}

#endif

CounterRng::CounterRng(uint64_t seed, std::initializer_list<uint64_t> stream_ids)
    : key_{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)} {
  uint64_t stream = mix64(stream_ids.size());
  for (const uint64_t id : stream_ids) stream = mix64(stream ^ mix64(id));
  stream_ = stream;
}

void CounterRng::refill() {
  const int blocks = block_ == 0 ? 1 : kBulkBlocks;
  philox4x32_blocks(block_, stream_, key_, blocks, buffer_.data());
  block_ += static_cast<uint64_t>(blocks);
  filled_ = 4 * blocks;
  used_ = 0;
}

uint32_t CounterRng::next_u32() {
  if (used_ == filled_) refill();
  return buffer_[used_++];
}

uint64_t CounterRng::next_u64() {
  const uint64_t high = next_u32();
  return (high << 32) | next_u32();
}

float CounterRng::uniform() {
  // The centre of one of 2^24 equal bins: never 0, never 1.
  return (static_cast<float>(next_u32() >> 8) + 0.5f) * 0x1.0p-24f;
}

double CounterRng::uniform_double() {
  return (static_cast<double>(next_u64() >> 11) + 0.5) * 0x1.0p-53;
}

uint64_t CounterRng::below(uint64_t n) {
  // Rejection of the last partial copy of [0, n) keeps every value equally likely.
  const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t value;
  do value = next_u64();
  while (value >= limit);
  return value % n;
}

float CounterRng::normal() {
  const double radius = std::sqrt(-2.0 * std::log(uniform_double()));
  return static_cast<float>(radius * std::cos(2.0 * std::numbers::pi * uniform_double()));
}

double CounterRng::exponential() { return -std::log(uniform_double()); }

double CounterRng::gumbel() { return -std::log(exponential()); }

double CounterRng::truncated_gumbel(double lower) {
  // P(E < c) = 1 - exp(-c); inverse CDF of E given E < c.
  const double c = std::exp(-lower);
  const double e = -std::log1p(uniform_double() * std::expm1(-c));
  return -std::log(e);
}

uint64_t CounterRng::binomial(uint64_t n, double p) {
  if (n == 0 || p <= 0.0) return 0;
  if (p >= 1.0) return n;
  if (p > 0.5) return n - binomial(n, 1.0 - p);
  const double log_failure = std::log1p(-p);
  uint64_t successes = 0;
  double position = 0.0;  // index of the latest success, 1-based
  while (true) {
    position += std::floor(std::log(uniform_double()) / log_failure) + 1.0;
    if (position > static_cast<double>(n)) return successes;
    ++successes;
  }
}

void CounterRng::fill_uniform(float* out, int64_t count) {
  for (int64_t i = 0; i < count; ++i) out[i] = uniform();
}

void CounterRng::fill_normal(float* out, int64_t count, float mean, float stddev) {
  for (int64_t i = 0; i < count; ++i) out[i] = mean + stddev * normal();
}

}  // namespace knnformer
