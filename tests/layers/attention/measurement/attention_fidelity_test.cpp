#include <doctest/doctest.h>

#include "core/autograd.h"
#include "core/error.h"
#include "gradient_check.h"
#include "layers/attention/measurement/attention_diagnostics.h"
#include "layers/attention/measurement/attention_fidelity.h"

using namespace knnformer;
using attention::AttentionFidelity;
using attention::measure_attention_fidelity;
using testing::random_input;

namespace {

// Random q, k, v and upstream gradient of one shape.
struct Inputs {
  explicit Inputs(const Shape& shape)
      : q(random_input(shape, 1)), k(random_input(shape, 2)), v(random_input(shape, 3)),
        out_grad(random_input(shape, 4)) {}
  Tensor q, k, v, out_grad;
};

AttentionOptions options_of(const char* mode, int64_t knn_k, const char* index = "exact") {
  AttentionOptions options;
  options.mode = parse_enum<AttentionKind>(mode, "mode");
  options.knn_k = knn_k;
  options.knn_index = parse_enum<KeyIndexKind>(index, "index");
  return options;
}

AttentionFidelity measure(const Inputs& inputs, const AttentionOptions& options) {
  const AttentionCall call{.context = {.seed = 7, .step = 3}, .layer = 1};
  return measure_attention_fidelity(inputs.q, inputs.k, inputs.v, inputs.out_grad, options, call);
}

}  // namespace

TEST_CASE("attention fidelity: knn with k >= T is exact attention, with either index") {
  const Inputs inputs({2, 2, 24, 8});
  for (const char* index : {"exact", "clustered"}) {
    CAPTURE(index);
    const AttentionFidelity fidelity = measure(inputs, options_of("knn", 32, index));
    CHECK(fidelity.output_error <= 1e-5);
    CHECK(fidelity.query_grad_error <= 1e-5);
    CHECK(fidelity.key_grad_error <= 1e-5);
    CHECK(fidelity.value_grad_error <= 1e-5);
    CHECK(fidelity.recall == 1.0);
    CHECK(fidelity.tail_work == 0.0);  // the sparse backward samples nothing
  }
}

TEST_CASE("attention fidelity: exact mode measures exactly zero error") {
  const AttentionFidelity fidelity = measure(Inputs({1, 2, 70, 8}), AttentionOptions{});
  CHECK(fidelity.output_error == 0.0);
  CHECK(fidelity.query_grad_error == 0.0);
  CHECK(fidelity.key_grad_error == 0.0);
  CHECK(fidelity.value_grad_error == 0.0);
  CHECK(fidelity.recall == 1.0);
  CHECK(fidelity.tail_work == 0.0);
}

TEST_CASE("attention fidelity: gumbel with few samples errs, its tail work is counted, others' totals are kept") {
  const Inputs inputs({1, 2, 64, 8});
  AttentionOptions options = options_of("gumbel", 4);
  options.samples = 2;
  attention::take_attention_diagnostics();
  attention::add_attention_diagnostics({.calls = 5, .samples = 10, .tail_members = 30, .times = {}});

  const AttentionFidelity fidelity = measure(inputs, options);
  MESSAGE("gumbel L=2 k=4: out ", fidelity.output_error, ", dq ", fidelity.query_grad_error, ", dk ",
          fidelity.key_grad_error, ", dv ", fidelity.value_grad_error, ", tail work ", fidelity.tail_work);
  CHECK(fidelity.output_error > 0.1);
  CHECK(fidelity.query_grad_error > 0.1);
  CHECK(fidelity.key_grad_error > 0.1);
  CHECK(fidelity.value_grad_error > 0.1);
  CHECK(fidelity.recall == 1.0);  // the exact index
  CHECK(fidelity.tail_work > 0.0);

  const attention::AttentionDiagnostics kept = attention::take_attention_diagnostics();
  CHECK(kept.calls == 5);
  CHECK(kept.tail_members_per_sample() == 3.0);
  CHECK(measure(inputs, options).output_error == fidelity.output_error);  // the call's key fixes the samples
}

TEST_CASE("attention fidelity: a clustered index with small k reports its recall") {
  const AttentionFidelity fidelity = measure(Inputs({1, 2, 256, 8}), options_of("knn", 8, "clustered"));
  MESSAGE("clustered index, k = 8, T = 256: recall ", fidelity.recall);
  CHECK(fidelity.recall > 0.0);
  CHECK(fidelity.recall < 1.0);
  CHECK(fidelity.output_error > 0.0);
}

TEST_CASE("attention fidelity: needs gradient recording; relative L2 error") {
  const Inputs inputs({1, 1, 4, 2});
  {
    const NoGrad inference;
    CHECK_THROWS_AS(measure(inputs, AttentionOptions{}), Error);
  }
  const float value[] = {1, 1, 0}, reference[] = {1, 0, 0}, zero[] = {0, 0, 0};
  CHECK(attention::relative_l2_error(value, reference, 3) == 1.0);
  CHECK(attention::relative_l2_error(reference, reference, 3) == 0.0);
  CHECK(attention::relative_l2_error(zero, zero, 3) == 0.0);
}
