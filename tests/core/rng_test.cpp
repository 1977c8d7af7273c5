#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <vector>

#include "core/parallel.h"
#include "core/rng.h"
#include "statistics.h"

using knnformer::CounterRng;
using namespace knnformer::testing;

namespace {
constexpr size_t kSamples = 100000;

template <class Draw>
std::vector<double> draw(uint64_t seed, Draw&& one) {
  CounterRng rng(seed, {17, 4});
  std::vector<double> samples(kSamples);
  for (auto& sample : samples) sample = one(rng);
  return samples;
}

double log_binomial_pmf(uint64_t n, uint64_t k, double p) {
  return std::lgamma(n + 1.0) - std::lgamma(k + 1.0) - std::lgamma(n - k + 1.0) + k * std::log(p) +
         (n - k) * std::log1p(-p);
}
}  // namespace

TEST_CASE("philox4x32: the known-answer vectors of Random123 (Salmon et al.)") {
  using Words = std::array<uint32_t, 4>;
  CHECK(knnformer::philox4x32({0, 0, 0, 0}, {0, 0}) == Words{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8});
  CHECK(knnformer::philox4x32({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff}) ==
        Words{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd});
  CHECK(knnformer::philox4x32({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0}) ==
        Words{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1});
}

TEST_CASE("philox4x32_blocks matches its reference, across a carry into the block's high word") {
  for (const uint64_t first : {uint64_t{0}, uint64_t{5}, uint64_t{0xFFFFFFFA}})
    for (const int64_t count : {0, 1, 7, 8, 9, 16, 23}) {
      INFO("first block ", first, ", count ", count);
      std::vector<uint32_t> fast(4 * count + 1, 7), reference(4 * count + 1, 7);
      knnformer::philox4x32_blocks(first, 0x0123456789ABCDEF, {0xDEADBEEF, 0x12345678}, count, fast.data());
      knnformer::philox4x32_blocks_reference(first, 0x0123456789ABCDEF, {0xDEADBEEF, 0x12345678}, count,
                                             reference.data());
      CHECK(fast == reference);  // the word past the blocks untouched too
    }
}

TEST_CASE("CounterRng: a stream's words do not change when they are computed in bulk") {
  // Words of the stream (2026, {11, 29}) as one block at a time computed
  // them (before blocks came 16 per refill): the first block, the first
  // bulk refill and a later one.
  CounterRng rng(2026, {11, 29});
  std::vector<uint32_t> words(300);
  for (uint32_t& word : words) word = rng.next_u32();
  CHECK(words[0] == 0xb474c205);
  CHECK(words[1] == 0x4691a420);
  CHECK(words[3] == 0x9503de97);
  CHECK(words[4] == 0xc2e65bd7);
  CHECK(words[67] == 0x7409c625);
  CHECK(words[68] == 0x40304a7e);
  CHECK(words[131] == 0x1b29dd9e);
  CHECK(words[299] == 0xe540329e);
}

TEST_CASE("CounterRng: the same key gives the same numbers, another key others") {
  CounterRng a(42, {1, 2, 3}), b(42, {1, 2, 3}), c(42, {1, 2, 4}), d(43, {1, 2, 3});
  int equal_to_c = 0, equal_to_d = 0;
  for (int i = 0; i < 1000; ++i) {
    const uint32_t x = a.next_u32();
    CHECK(x == b.next_u32());
    equal_to_c += x == c.next_u32();
    equal_to_d += x == d.next_u32();
  }
  CHECK(equal_to_c <= 1);
  CHECK(equal_to_d <= 1);
}

TEST_CASE("CounterRng: results do not depend on the thread count") {
  const auto generate = [](int threads) {
    knnformer::set_num_threads(threads);
    std::vector<float> out(64 * 100);
    knnformer::parallel_for_dynamic(0, 64, [&](int64_t item) {
      CounterRng rng(9, {5, static_cast<uint64_t>(item)});
      for (int i = 0; i < 100; ++i) out[item * 100 + i] = rng.normal() + float(rng.gumbel()) + rng.binomial(50, 0.3);
    });
    return out;
  };
  const auto one = generate(1), two = generate(2);
  knnformer::set_num_threads(0);
  CHECK(one == two);
}

TEST_CASE("CounterRng: uniform draws pass Kolmogorov–Smirnov and stay inside (0, 1)") {
  const auto floats = draw(1, [](CounterRng& r) { return double(r.uniform()); });
  const auto doubles = draw(2, [](CounterRng& r) { return r.uniform_double(); });
  for (const auto* samples : {&floats, &doubles}) {
    CHECK(*std::min_element(samples->begin(), samples->end()) > 0.0);
    CHECK(*std::max_element(samples->begin(), samples->end()) < 1.0);
    CHECK(ks_statistic(*samples, [](double x) { return x; }) < ks_critical(kSamples));
  }
}

TEST_CASE("CounterRng: normal draws have mean 0, variance 1 and pass Kolmogorov–Smirnov") {
  const auto samples = draw(3, [](CounterRng& r) { return double(r.normal()); });
  double mean = 0, square = 0;
  for (const double x : samples) mean += x, square += x * x;
  mean /= kSamples;
  const double variance = square / kSamples - mean * mean;
  // Standard errors: 1/sqrt(n) for the mean, sqrt(2/n) for the variance; allow 5.
  CHECK(std::abs(mean) < 5.0 / std::sqrt(double(kSamples)));
  CHECK(std::abs(variance - 1.0) < 5.0 * std::sqrt(2.0 / kSamples));
  const auto phi = [](double x) { return 0.5 * std::erfc(-x / std::numbers::sqrt2); };
  CHECK(ks_statistic(samples, phi) < ks_critical(kSamples));
}

TEST_CASE("CounterRng: exponential draws pass Kolmogorov–Smirnov") {
  const auto samples = draw(6, [](CounterRng& r) { return r.exponential(); });
  CHECK(*std::min_element(samples.begin(), samples.end()) > 0.0);
  CHECK(ks_statistic(samples, [](double x) { return -std::expm1(-x); }) < ks_critical(kSamples));
}

TEST_CASE("CounterRng: Gumbel and truncated Gumbel draws pass Kolmogorov–Smirnov") {
  const auto gumbel_cdf = [](double x) { return std::exp(-std::exp(-x)); };
  const auto samples = draw(4, [](CounterRng& r) { return r.gumbel(); });
  CHECK(ks_statistic(samples, gumbel_cdf) < ks_critical(kSamples));
  // Truncation points from the body to far in the tail, where the textbook
  // inverse CDF would round to infinity.
  for (const double lower : {-1.0, 0.5, 3.0, 12.0, 40.0}) {
    CAPTURE(lower);
    const auto tail = draw(5, [&](CounterRng& r) { return r.truncated_gumbel(lower); });
    CHECK(*std::min_element(tail.begin(), tail.end()) > lower);
    // P(G <= x | G > lower) = (F(x) - F(lower)) / (1 - F(lower)), written with
    // expm1 so that it keeps its precision when F(lower) is near 1.
    const auto conditional_cdf = [&](double x) {
      return 1.0 - std::expm1(-std::exp(-x)) / std::expm1(-std::exp(-lower));
    };
    CHECK(ks_statistic(tail, conditional_cdf) < ks_critical(kSamples));
  }
}

TEST_CASE("CounterRng: binomial draws pass a chi-square test against the pmf") {
  struct Case {
    uint64_t n;
    double p;
  };
  for (const Case c : {Case{10, 0.3}, Case{1000, 0.01}, Case{50000, 0.001}, Case{20, 0.9}, Case{3000, 0.5}}) {
    CAPTURE(c.n);
    CAPTURE(c.p);
    const auto samples = draw(6, [&](CounterRng& r) { return double(r.binomial(c.n, c.p)); });
    const uint64_t top = std::min<uint64_t>(c.n, static_cast<uint64_t>(c.n * c.p + 12 * std::sqrt(c.n * c.p + 1) + 12));
    std::vector<double> observed(top + 2, 0.0), probabilities(top + 2, 0.0);
    for (const double x : samples) observed[std::min<uint64_t>(static_cast<uint64_t>(x), top + 1)] += 1;
    double covered = 0;
    for (uint64_t k = 0; k <= top; ++k) covered += probabilities[k] = std::exp(log_binomial_pmf(c.n, k, c.p));
    probabilities[top + 1] = std::max(0.0, 1.0 - covered);
    const ChiSquare test = chi_square(observed, probabilities);
    INFO("chi-square ", test.statistic, " with ", test.degrees_of_freedom, " dof");
    CHECK(test.passes());
  }
  CounterRng rng(1, {});
  CHECK(rng.binomial(0, 0.5) == 0);
  CHECK(rng.binomial(7, 0.0) == 0);
  CHECK(rng.binomial(7, 1.0) == 7);
}

TEST_CASE("CounterRng: below(n) is uniform") {
  const uint64_t n = 37;
  const auto samples = draw(7, [&](CounterRng& r) { return double(r.below(n)); });
  std::vector<double> observed(n, 0.0);
  for (const double x : samples) observed[static_cast<size_t>(x)] += 1;
  CHECK(chi_square(observed, std::vector<double>(n, 1.0 / n)).passes());
}
