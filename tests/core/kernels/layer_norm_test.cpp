#include "core/kernels/layer_norm.h"

#include <doctest/doctest.h>

#include "core/kernels/blocks.h"
#include "kernel_testing.h"

using namespace knnformer;
using testing::check_close;

namespace {

constexpr float kEps = 1e-5f;

// rows of N(3, 2²) values (an offset that a one-pass variance would suffer
// from), the last row constant (variance 0: the output is the bias).
struct Problem {
  int64_t rows, cols;
  std::vector<float> x, weight, bias, dy;

  Problem(int64_t rows_, int64_t cols_)
      : rows(rows_), cols(cols_), x(testing::random_vector(rows * cols, 19, 2.0f, 3.0f)),
        weight(testing::random_vector(cols, 20, 0.5f, 1.0f)), bias(testing::random_vector(cols, 21)),
        dy(testing::random_vector(rows * cols, 22)) {
    std::fill(x.end() - cols, x.end(), 3.0f);
  }
};

struct Gradients {
  std::vector<float> dx, dweight, dbias;
};

template <class Backward>
Gradients backward(const Problem& p, Backward run) {
  std::vector<float> y(p.rows * p.cols), mean(p.rows), rstd(p.rows);
  kernels::reference::layer_norm_forward(p.x.data(), p.weight.data(), p.bias.data(), y.data(), mean.data(),
                                         rstd.data(), p.rows, p.cols, kEps);
  Gradients g{std::vector<float>(p.rows * p.cols, 0.5f), std::vector<float>(p.cols, 0.25f),
              std::vector<float>(p.cols, -0.25f)};
  run(p.x.data(), p.weight.data(), mean.data(), rstd.data(), p.dy.data(), g.dx.data(), g.dweight.data(),
      g.dbias.data(), p.rows, p.cols);
  return g;
}

}  // namespace

// Tolerances: x̂ = (x − mean)·rstd from float statistics differs from the
// double reference's by a few ulp of |x̂| (≤ sqrt(C) ≈ 16 for C = 257), so
// y = x̂·w + b by about 1e-6 absolute; rstd and mean differ by a few ulp.
// The constant row has rstd = 1/sqrt(eps) ≈ 316 and x̂ = 0 exactly on both paths.
TEST_CASE("layer norm kernel: forward matches the reference") {
  testing::for_each_simd_target([&] {
    for (const int64_t cols : testing::kRowLengths) {
      CAPTURE(cols);
      const Problem p(5, cols);
      std::vector<float> y(p.rows * cols), mean(p.rows), rstd(p.rows);
      std::vector<float> y_ref(p.rows * cols), mean_ref(p.rows), rstd_ref(p.rows);
      kernels::layer_norm_forward(p.x.data(), p.weight.data(), p.bias.data(), y.data(), mean.data(), rstd.data(),
                                  p.rows, cols, kEps);
      kernels::reference::layer_norm_forward(p.x.data(), p.weight.data(), p.bias.data(), y_ref.data(),
                                             mean_ref.data(), rstd_ref.data(), p.rows, cols, kEps);
      check_close(y, y_ref, 2e-6, 2e-6);
      check_close(mean, mean_ref, 1e-6, 1e-6);
      check_close(rstd, rstd_ref, 0.0, 2e-6);
      for (int64_t j = 0; j < cols; ++j) CHECK(y[(p.rows - 1) * cols + j] == p.bias[j]);
    }
  });
}

// Tolerances: the row sums Σg and Σg·x̂ are of C terms of size O(1); float
// against double differs by about sqrt(C)·ulp·|term| ≈ 1e-6·sqrt(C)/C per
// mean, and rstd ≈ 0.5 multiplies it; dweight/dbias add rows terms in float
// partials of 32 rows: atol 1e-5 bounds all three for up to 200 rows. The
// constant row's rstd ≈ 316 magnifies Σg − mean(g), whose float and double
// roundings then differ by 316·ulp: rtol 1e-5 leaves room for that row.
TEST_CASE("layer norm kernel: backward matches the reference and accumulates") {
  testing::for_each_simd_target([&] {
    for (const int64_t cols : testing::kRowLengths) {
      for (const int64_t rows : {int64_t{1}, int64_t{5}, 2 * kernels::kRowsPerBlock + 3}) {
        CAPTURE(cols);
        CAPTURE(rows);
        const Problem p(rows, cols);
        const Gradients fast = backward(p, kernels::layer_norm_backward);
        const Gradients slow = backward(p, kernels::reference::layer_norm_backward);
        check_close(fast.dx, slow.dx, 1e-5, 1e-5);
        check_close(fast.dweight, slow.dweight, 1e-5, 1e-5);
        check_close(fast.dbias, slow.dbias, 1e-5, 1e-5);
      }
    }
  });
}

TEST_CASE("layer norm kernel: gradients not wanted are skipped") {
  testing::for_each_simd_target([&] {
    const Problem p(3, 9);
    std::vector<float> y(27), mean(3), rstd(3), dx(27, 0.0f), dweight(9, 0.0f);
    kernels::layer_norm_forward(p.x.data(), p.weight.data(), p.bias.data(), y.data(), mean.data(), rstd.data(), 3, 9,
                                kEps);
    kernels::layer_norm_backward(p.x.data(), p.weight.data(), mean.data(), rstd.data(), p.dy.data(), nullptr,
                                 dweight.data(), nullptr, 3, 9);
    kernels::layer_norm_backward(p.x.data(), p.weight.data(), mean.data(), rstd.data(), p.dy.data(), dx.data(),
                                 nullptr, nullptr, 3, 9);
    const Gradients all = backward(p, kernels::layer_norm_backward);
    for (int64_t j = 0; j < 9; ++j) CHECK(dweight[j] == doctest::Approx(all.dweight[j] - 0.25f));
    for (int64_t i = 0; i < 27; ++i) CHECK(dx[i] == doctest::Approx(all.dx[i] - 0.5f));
  });
}

TEST_CASE("layer norm kernel: parameter gradients are the same bits on 1 and 2 threads") {
  testing::for_each_simd_target([&] {
    const Problem p(7 * kernels::kRowsPerBlock + 5, 33);
    Gradients one, two;
    {
      const testing::ThreadCount threads(1);
      one = backward(p, kernels::layer_norm_backward);
    }
    {
      const testing::ThreadCount threads(2);
      two = backward(p, kernels::layer_norm_backward);
    }
    CHECK(one.dweight == two.dweight);
    CHECK(one.dbias == two.dbias);
    CHECK(one.dx == two.dx);
  });
}
