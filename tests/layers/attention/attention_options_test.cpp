#include <doctest/doctest.h>

#include <cmath>
#include <initializer_list>
#include <string>

#include "layers/attention/attention_options.h"

using namespace knnformer;

TEST_CASE("choose_knn_k: the default rounds sqrt(T) up to a multiple of 8; a given k is kept, at most T") {
  AttentionOptions options{.mode = AttentionKind::knn};
  CHECK(choose_knn_k(options, 128, 32) == 16);  // sqrt(128) = 11.3
  CHECK(choose_knn_k(options, 4096, 32) == 64);
  CHECK(choose_knn_k(options, 16384, 64) == 128);
  CHECK(choose_knn_k(options, 5, 32) == 5);     // 8, but there are only 5 keys
  options.knn_k = 5;
  CHECK(choose_knn_k(options, 4096, 32) == 5);
  CHECK(choose_knn_k(options, 3, 32) == 3);
}

TEST_CASE("choose_knn_k auto: near the minimum of the sampling cost model") {
  const AttentionOptions options{.mode = AttentionKind::gumbel, .knn_k = -1};
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
  CHECK(describe({.mode = AttentionKind::knn}, 256, 64) == "knn k=16 backward=sparse index=exact");
  CHECK(describe({.mode = AttentionKind::gumbel, .knn_k = 5}, 256, 64) ==
        "gumbel k=5 samples=32 backward=sampled index=exact");
  // auto at T = 4096, d = 32: k = 168 (sqrt(26214) = 162), 10·168 + 2·32·4096/168 = 3240 flops per
  // sample, against 10·64 + 2·32·4096/64 = 4736 at the default k = 64.
  CHECK(describe({.mode = AttentionKind::gumbel, .knn_k = -1, .knn_index = KeyIndexKind::clustered}, 4096, 32) ==
        "gumbel k=168 (auto: 3.2 kflop per sample, 0.68x the default k=64) samples=32 backward=sampled "
        "index=clustered");
}

// Each table names every enumerator once, and its names read back to their values.
template <class Enum>
void check_name_table(std::initializer_list<Enum> every_value) {
  CHECK(enum_names(Enum{}).size() == every_value.size());
  for (const Enum value : every_value) {
    CAPTURE(name_of(value));
    CHECK_FALSE(name_of(value).empty());
    CHECK(parse_enum<Enum>(name_of(value), "test") == value);
  }
}

TEST_CASE("attention option names: one table per choice, parsed back to the same value") {
  using enum AttentionKind;
  check_name_table<AttentionKind>({exact, knn, gumbel, knn_tail});
  check_name_table<BackwardMode>({BackwardMode::automatic, BackwardMode::exact, BackwardMode::sparse,
                                  BackwardMode::sampled});
  check_name_table<KeyIndexKind>({KeyIndexKind::exact, KeyIndexKind::clustered, KeyIndexKind::none});
  check_name_table<SampledStart>({SampledStart::uniform, SampledStart::importance});
  CHECK(name_of(knn_tail) == "knn-tail");
  CHECK(name_of(BackwardMode::automatic) == "auto");
}

TEST_CASE("attention option names: an unknown name is an Error naming the option and the choices") {
  CHECK_THROWS_WITH_AS(parse_enum<AttentionKind>("fast", "--attention"),
                       "--attention: 'fast' is not one of: exact, knn, gumbel, knn-tail", Error);
  CHECK_FALSE(find_enum<BackwardMode>("automatic").has_value());
}

TEST_CASE("validate: an exact forward with an approximate backward is an error") {
  CHECK_THROWS_WITH_AS(validate({.mode = AttentionKind::exact, .backward = BackwardMode::sampled}),
                       "attention-backward 'sampled' needs an approximate attention mode (knn, gumbel, knn-tail)",
                       Error);
  CHECK_NOTHROW(validate({.mode = AttentionKind::knn, .backward = BackwardMode::sampled}));
}

TEST_CASE("validate: the unsearched index only under a sampler that needs no kNN head") {
  const auto with_no_index = [](AttentionKind mode, BackwardMode backward) {
    return AttentionOptions{.mode = mode, .backward = backward, .knn_index = KeyIndexKind::none};
  };
  CHECK_NOTHROW(validate(with_no_index(AttentionKind::gumbel, BackwardMode::automatic)));
  CHECK_NOTHROW(validate(with_no_index(AttentionKind::gumbel, BackwardMode::exact)));
  CHECK_NOTHROW(validate(with_no_index(AttentionKind::exact, BackwardMode::automatic)));  // exact reads no index
  CHECK_THROWS_WITH_AS(validate(with_no_index(AttentionKind::knn, BackwardMode::automatic)),
                       "knn-index 'none' needs attention gumbel with an exact or sampled backward, got attention "
                       "'knn' with backward 'sparse'",
                       Error);
  CHECK_THROWS_AS(validate(with_no_index(AttentionKind::knn_tail, BackwardMode::sampled)), Error);
  CHECK_THROWS_AS(validate(with_no_index(AttentionKind::gumbel, BackwardMode::sparse)), Error);
}
