#include "core/rng.h"

#include <cmath>
#include <numbers>

#include "core/kernels/philox_rounds.h"

namespace knnformer {

uint64_t mix64(uint64_t value) {
  value += 0x9E3779B97F4A7C15ull;
  value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9ull;
  value = (value ^ (value >> 27)) * 0x94D049BB133111EBull;
  return value ^ (value >> 31);
}

std::array<uint32_t, 4> philox4x32(std::array<uint32_t, 4> counter, std::array<uint32_t, 2> key) {
  return kernels::reference::philox4x32(counter, key);
}

void philox4x32_blocks(uint64_t block, uint64_t stream, std::array<uint32_t, 2> key, int64_t count, uint32_t* out) {
  kernels::philox4x32_blocks(block, stream, key, count, out);
}

void philox4x32_blocks_reference(uint64_t block, uint64_t stream, std::array<uint32_t, 2> key, int64_t count,
                                 uint32_t* out) {
  kernels::reference::philox4x32_blocks(block, stream, key, count, out);
}

CounterRng::CounterRng(uint64_t seed, std::initializer_list<uint64_t> stream_ids)
    : key_{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)} {
  uint64_t stream = mix64(stream_ids.size());
  for (const uint64_t id : stream_ids) stream = mix64(stream ^ mix64(id));
  stream_ = stream;
}

void CounterRng::refill() {
  const int blocks = block_ == 0 ? 1 : kBulkBlocks;
  // One block is no work for vectors: the first is computed without dispatch.
  if (blocks == 1)
    philox4x32_blocks_reference(block_, stream_, key_, blocks, buffer_.data());
  else
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
