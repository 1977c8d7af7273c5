#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "layers/attention/attention_options.h"

using namespace knnformer;

TEST_CASE("choose_knn_k: the default rounds sqrt(T) up to a multiple of 8; a given k is kept, at most T") {
  AttentionOptions options{.mode = "knn"};
  CHECK(choose_knn_k(options, 128, 32) == 16);  // sqrt(128) = 11.3
  CHECK(choose_knn_k(options, 4096, 32) == 64);
  CHECK(choose_knn_k(options, 16384, 64) == 128);
  CHECK(choose_knn_k(options, 5, 32) == 5);     // 8, but there are only 5 keys
  options.knn_k = 5;
  CHECK(choose_knn_k(options, 4096, 32) == 5);
  CHECK(choose_knn_k(options, 3, 32) == 3);
}

TEST_CASE("choose_knn_k auto: near the minimum of the sampling cost model") {
  const AttentionOptions options{.mode = "gumbel", .knn_k = -1};
  for (const int64_t time : {1024, 4096, 32768})
    for (const int64_t dim : {32, 64}) {
      CAPTURE(time);
      CAPTURE(dim);
      const int64_t k = choose_knn_k(options, time, dim);
      CHECK(k % 8 == 0);
      // The cost model's minimiser, sqrt(T·d/5), rounded up to a multiple of 8;
      // on a convex cost, that is no worse than the next multiple of 8.
      const double minimiser = std::sqrt(static_cast<double>(time * dim) / 5.0);
      CHECK(k - 8 < minimiser);
      CHECK(minimiser <= k);
      CHECK(sampling_cost_per_sample(k, time, dim) <= sampling_cost_per_sample(k + 8, time, dim));
      CHECK(sampling_cost_per_sample(k, time, dim) <= sampling_cost_per_sample(choose_knn_k({}, time, dim), time, dim));
    }
}

TEST_CASE("describe: the mode, its k and what auto buys") {
  CHECK(describe({}, 256, 64) == "exact");
  CHECK(describe({.mode = "knn"}, 256, 64) == "knn k=16 backward=sparse index=exact");
  CHECK(describe({.mode = "gumbel", .knn_k = 5}, 256, 64) == "gumbel k=5 samples=32 backward=sampled index=exact");
  // auto at T = 4096, d = 32: k = 168 (sqrt(26214) = 162), 10·168 + 2·32·4096/168 = 3240 flops per
  // sample, against 10·64 + 2·32·4096/64 = 4736 at the default k = 64.
  CHECK(describe({.mode = "gumbel", .knn_k = -1, .knn_index = "clustered"}, 4096, 32) ==
        "gumbel k=168 (auto: 3.2 kflop per sample, 0.68x the default k=64) samples=32 backward=sampled "
        "index=clustered");
}
