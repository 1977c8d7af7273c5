#include "core/kernels/cross_entropy.h"

#include <doctest/doctest.h>

#include "kernel_testing.h"

using namespace knnformer;
using testing::check_close;

namespace {

constexpr int64_t kRows = 4;
constexpr int64_t kIgnoredRow = 1;

struct Batch {
  int64_t rows, vocab;
  std::vector<float> logits;
  std::vector<int32_t> targets;
};

// kRows rows of N(0, scale²) logits, the last row constant, targets spread
// over the vocabulary but for kIgnoredRow's, which is ignored.
Batch batch(int64_t vocab, float scale, uint64_t seed) {
  Batch b{kRows, vocab, testing::random_vector(kRows * vocab, seed, scale), std::vector<int32_t>(kRows)};
  std::fill(b.logits.end() - vocab, b.logits.end(), scale);
  for (int64_t r = 0; r < kRows; ++r) b.targets[r] = static_cast<int32_t>((r * 7919) % vocab);
  b.targets[kIgnoredRow] = kernels::kIgnoredTarget;
  return b;
}

std::vector<float> row(const std::vector<float>& values, int64_t r, int64_t vocab) {
  return {values.begin() + r * vocab, values.begin() + (r + 1) * vocab};
}

}  // namespace

// Tolerance: the log-sum-exp is max + log Σ; the float sum of exp's (each
// within 1 ulp) is within about 1e-6 relative for these vocabularies, which
// log turns into 1e-6 absolute; max + log then rounds once at the scale of the
// logits (1e4 has an ulp of 1e-3): |Δ| <= 2e-6 + 2.4e-7·|lse|. The loss is
// (max − target logit) + log Σ: the same 2e-6 plus a rounding of its own size.
TEST_CASE("cross-entropy kernel: forward matches the reference, large and small logits and an ignored row included") {
  testing::for_each_simd_target([&] {
    for (const float scale : {1.0f, 80.0f, 1e4f}) {
      for (const int64_t vocab : {int64_t{1}, int64_t{3}, int64_t{9}, int64_t{33}, int64_t{257}, int64_t{50304}}) {
        CAPTURE(scale);
        CAPTURE(vocab);
        const Batch b = batch(vocab, scale, 16);
        std::vector<float> losses(kRows), lse(kRows), slow_losses(kRows), slow_lse(kRows);
        kernels::cross_entropy_forward(b.logits.data(), b.targets.data(), losses.data(), lse.data(), kRows, vocab);
        kernels::reference::cross_entropy_forward(b.logits.data(), b.targets.data(), slow_losses.data(),
                                                  slow_lse.data(), kRows, vocab);
        check_close(lse, slow_lse, 2e-6, 2.4e-7);
        check_close(losses, slow_losses, 2e-6, 2.4e-7);
        CHECK(losses[kIgnoredRow] == 0.0f);
        CHECK(slow_losses[kIgnoredRow] == 0.0f);
        // The constant row: loss = log V.
        CHECK(losses[kRows - 1] == doctest::Approx(std::log(double(vocab))).epsilon(1e-6));
      }
    }
  });
}

TEST_CASE("cross-entropy kernel: an ignored row keeps its log-sum-exp, the same bits as with a target") {
  testing::for_each_simd_target([&] {
    const int64_t vocab = 257;
    const Batch ignoring = batch(vocab, 3.0f, 19);
    Batch counting = ignoring;
    counting.targets[kIgnoredRow] = 5;
    std::vector<float> losses(kRows), lse(kRows), counted_losses(kRows), counted_lse(kRows);
    kernels::cross_entropy_forward(ignoring.logits.data(), ignoring.targets.data(), losses.data(), lse.data(), kRows,
                                   vocab);
    kernels::cross_entropy_forward(counting.logits.data(), counting.targets.data(), counted_losses.data(),
                                   counted_lse.data(), kRows, vocab);
    CHECK(lse == counted_lse);
    CHECK(counted_losses[kIgnoredRow] > 0.0f);
    counted_losses[kIgnoredRow] = 0.0f;
    CHECK(losses == counted_losses);
  });
}

TEST_CASE("cross-entropy kernel: backward matches the reference, accumulates and leaves an ignored row alone") {
  testing::for_each_simd_target([&] {
    // softmax_j = exp(x_j − lse) within 1 ulp, plus the lse's own error times
    // the softmax (a relative error of |Δlse|): 4e-6 relative; times the scale.
    for (const int64_t vocab : {int64_t{1}, int64_t{7}, int64_t{17}, int64_t{257}, int64_t{50304}}) {
      CAPTURE(vocab);
      const Batch b = batch(vocab, 3.0f, 17);
      std::vector<float> losses(kRows), lse(kRows);
      kernels::reference::cross_entropy_forward(b.logits.data(), b.targets.data(), losses.data(), lse.data(), kRows,
                                                vocab);
      const std::vector<float> dlogits = testing::random_vector(kRows * vocab, 18, 1e-3f);
      std::vector<float> fast = dlogits, slow = dlogits;
      const float scale = 0.25f;
      kernels::cross_entropy_backward(b.logits.data(), b.targets.data(), lse.data(), scale, fast.data(), kRows, vocab);
      kernels::reference::cross_entropy_backward(b.logits.data(), b.targets.data(), lse.data(), scale, slow.data(),
                                                 kRows, vocab);
      check_close(fast, slow, 1e-9, 4e-6);
      CHECK(row(fast, kIgnoredRow, vocab) == row(dlogits, kIgnoredRow, vocab));
      CHECK(row(slow, kIgnoredRow, vocab) == row(dlogits, kIgnoredRow, vocab));
      // Each row of the gradient sums to scale·(Σ softmax − 1) = 0 over what was added.
      for (int64_t r = 0; r < kRows; ++r) {
        double added = 0.0;
        for (int64_t j = 0; j < vocab; ++j) added += fast[r * vocab + j] - dlogits[r * vocab + j];
        CHECK(std::abs(added) <= 1e-5);
      }
    }
  });
}

TEST_CASE("cross-entropy kernel: a confident right answer costs 0, a confident wrong one its margin") {
  testing::for_each_simd_target([&] {
    const std::vector<float> x{1e4f, -1e4f, 0.0f, -80.0f, 80.0f, 0.0f};
    const std::vector<int32_t> targets{0, 0};
    std::vector<float> losses(2), lse(2);
    kernels::cross_entropy_forward(x.data(), targets.data(), losses.data(), lse.data(), 2, 3);
    CHECK(losses[0] == 0.0f);
    CHECK(losses[1] == doctest::Approx(160.0));
  });
}
