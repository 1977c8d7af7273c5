#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

#include "core/autograd.h"
#include "core/error.h"
#include "core/ops/matmul.h"
#include "core/ops/shape_ops.h"
#include "core/tensor.h"

using namespace knnformer;

TEST_CASE("Tensor: construction, views and shapes") {
  const std::vector<float> values{1, 2, 3, 4, 5, 6};
  const Tensor t = Tensor::from_vector({2, 3}, values);
  CHECK(t.shape() == Shape{2, 3});
  CHECK(t.shape().to_string() == "[2, 3]");
  CHECK(t.shape().rows() == 2);
  CHECK(t.size(-1) == 3);
  const Tensor tail = t.view({3}, 3);
  CHECK(tail.to_vector() == std::vector<float>{4, 5, 6});
  tail.data()[0] = 40;  // a view shares the data
  CHECK(t.data()[3] == 40);
  CHECK(t.clone().data() != t.data());
  CHECK_THROWS_AS(Tensor::from_vector({4}, values), Error);
  CHECK_THROWS_AS(t.view({4}, 3), Error);
  CHECK_THROWS_AS(Shape({1, 2, 3, 4, 5}), Error);
  CHECK_THROWS_AS(Tensor().shape(), Error);
  CHECK(Tensor::full({2}, 3.5f).to_vector() == std::vector<float>{3.5f, 3.5f});
}

TEST_CASE("autograd: a tensor used twice gets both contributions; NoGrad records nothing") {
  const Tensor w = Tensor::parameter({2, 2});
  const std::vector<float> values{1, 2, 3, 4};
  std::copy(values.begin(), values.end(), w.data());
  // L = Σ (w·wᵀ) ⇒ dL/dw = (1 1ᵀ) w + (1 1ᵀ)ᵀ w = 2·(column sums broadcast).
  const Tensor product = ops::matmul(w, w, false, true);
  const Tensor loss = ops::matmul(ops::reshape(product, {1, 4}), Tensor::full({4, 1}, 1.0f));
  backward(loss);
  CHECK(Tape::current().size() == 0);
  // dL/dw[i][j] = 2 Σ_r w[r][j]
  CHECK(w.grad_tensor().to_vector() == std::vector<float>{8, 12, 8, 12});

  w.zero_grad();
  {
    const NoGrad no_grad;
    const Tensor unrecorded = ops::matmul(w, w);
    CHECK_FALSE(unrecorded.requires_grad());
    CHECK(Tape::current().size() == 0);
  }
  CHECK(grad_enabled());
  CHECK_THROWS_AS(backward(Tensor::zeros({1})), Error);
}

TEST_CASE("Tensor: a gradient sink is written first, then added to; zero_grad starts it over") {
  const Tensor w = Tensor::parameter({3});
  Tensor::GradSink sink = w.grad_sink();
  CHECK(sink.overwrite);  // a new parameter's gradient is zero: the first contribution writes
  std::fill_n(sink.data, 3, 7.0f);
  sink = w.grad_sink();
  CHECK_FALSE(sink.overwrite);
  CHECK(w.grad_tensor().to_vector() == std::vector<float>{7, 7, 7});

  w.zero_grad();
  CHECK(w.grad_sink().overwrite);
  w.zero_grad();
  CHECK(w.grad_tensor().to_vector() == std::vector<float>{0, 0, 0});  // read before any contribution: zeros
  CHECK_FALSE(w.grad_sink().overwrite);

  const Tensor activation = Tensor::zeros({2});
  CHECK(activation.grad_sink().overwrite);  // no buffer yet: allocated, to be written
  CHECK_FALSE(activation.grad_sink().overwrite);
}

TEST_CASE("autograd: contributions after zero_grad replace the old gradient") {
  const Tensor w = Tensor::parameter({2, 2});
  const std::vector<float> values{1, 2, 3, 4};
  std::copy(values.begin(), values.end(), w.data());
  const auto loss_of = [&] {
    return ops::matmul(ops::reshape(ops::matmul(w, w, false, true), {1, 4}), Tensor::full({4, 1}, 1.0f));
  };
  backward(loss_of());
  const std::vector<float> once = w.grad_tensor().to_vector();
  w.zero_grad();
  backward(loss_of());
  CHECK(w.grad_tensor().to_vector() == once);
  backward(loss_of());  // without zero_grad, gradients accumulate
  CHECK(w.grad_tensor().to_vector() == std::vector<float>{2 * once[0], 2 * once[1], 2 * once[2], 2 * once[3]});
}
