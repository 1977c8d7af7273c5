#pragma once
// CounterRng: counter-based random numbers (Philox4x32-10, Salmon et al.,
// "Parallel random numbers: as easy as 1, 2, 3", SC 2011).
//
// A stream is named by a key: the run's seed plus any number of ids, e.g.
// (seed, step, layer, head, query). The n-th number of a stream is a pure
// function of (key, n), so results never depend on which thread draws them
// or in what order, and the whole random state of a run is its seed and step:
// a resumed run redraws exactly what the uninterrupted one drew.
//
//   CounterRng rng(seed, {step, layer, head, query});
//   const double g = rng.gumbel();
#include <array>
#include <cstdint>
#include <initializer_list>

namespace knnformer {

// One Philox4x32-10 block: 128 random bits from a 128-bit counter and a 64-bit key.
std::array<uint32_t, 4> philox4x32(std::array<uint32_t, 4> counter, std::array<uint32_t, 2> key);

// `count` consecutive blocks, for the counters (block, stream) to
// (block + count − 1, stream) (each as four words: block's low and high
// halves, then stream's), written 4 words per block to out. The same words
// as philox4x32, several blocks per vector step on the best SIMD target of
// the CPU (core/kernels/philox_rounds.h); philox4x32_blocks_reference calls
// philox4x32 for each.
void philox4x32_blocks(uint64_t block, uint64_t stream, std::array<uint32_t, 2> key, int64_t count, uint32_t* out);
void philox4x32_blocks_reference(uint64_t block, uint64_t stream, std::array<uint32_t, 2> key, int64_t count,
                                 uint32_t* out);

class CounterRng {
 public:
  CounterRng(uint64_t seed, std::initializer_list<uint64_t> stream_ids);

  uint32_t next_u32();
  uint64_t next_u64();
  float uniform();                 // in (0, 1), 24 random bits
  double uniform_double();         // in (0, 1), 53 random bits
  uint64_t below(uint64_t n);      // uniform in [0, n), unbiased; n >= 1
  float normal();                  // N(0, 1), Box–Muller
  double exponential();            // Exp(1): -log U
  double gumbel();                 // standard Gumbel(0, 1): -log(-log U)
  // A standard Gumbel conditioned on exceeding lower. Drawn as G = -log E
  // with E ~ Exp(1) truncated to (0, exp(-lower)), which stays accurate where
  // the textbook inverse CDF u ~ U(exp(-exp(-lower)), 1) rounds u to 1.
  double truncated_gumbel(double lower);
  // Binomial(n, p), exact: counts successes by jumping over geometric gaps
  // between them, so it costs O(n·min(p, 1-p) + 1) draws and never
  // underflows the way (1-p)^n does for large n.
  uint64_t binomial(uint64_t n, double p);

  void fill_uniform(float* out, int64_t count);
  void fill_normal(float* out, int64_t count, float mean, float stddev);

 private:
  // Blocks computed per refill after the first: a stream that draws at most
  // 4 words pays for one block; one that draws more computes 16 more at
  // once, 8 per vector step on AVX-512 (about the cost of 5 blocks one at a
  // time), which a sampler's query, drawing hundreds, uses up. Either way
  // the n-th number is the same.
  static constexpr int kBulkBlocks = 16;
  void refill();

  std::array<uint32_t, 2> key_;
  uint64_t stream_;
  uint64_t block_ = 0;  // the next block to compute
  std::array<uint32_t, 4 * kBulkBlocks> buffer_;
  int filled_ = 0;  // words in buffer_
  int used_ = 0;    // of them, already handed out
};

// Mixes 64-bit values into one (SplitMix64 finaliser); for deriving stream ids.
uint64_t mix64(uint64_t value);

}  // namespace knnformer
