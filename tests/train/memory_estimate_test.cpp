#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "core/memory_budget.h"
#include "train/memory_estimate.h"

using namespace knnformer;

namespace {

constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kGiB = 1024.0 * kMiB;
constexpr int64_t kByteVocabulary = 257;  // knnformer prepare's byte tokenizer

// The default config (4 layers of width 256, 4 heads, context 256, batch 8)
// on a fixed thread count, so that no figure depends on the machine.
RunConfig default_config() {
  RunConfig config;
  config.threads = 2;
  return config;
}

double sum_of_fields(const MemoryEstimate& estimate) {
  return estimate.parameters_and_optimizer + estimate.activations + estimate.logits + estimate.attention +
         estimate.data + estimate.reuse_cache + estimate.program;
}

}  // namespace

TEST_CASE("memory estimate: the default run needs about what it was measured to use") {
  // Measured peak resident memory of `knnformer train` with the defaults: 910 MiB.
  const MemoryEstimate estimate = estimate_training_memory(default_config(), kByteVocabulary);
  CHECK(estimate.total() == doctest::Approx(sum_of_fields(estimate)));
  CHECK(estimate.total() > 0.8 * 910 * kMiB);
  CHECK(estimate.total() < 1.25 * 910 * kMiB);
  // 3.29 million parameters (a 257 × 256 token embedding among them), with a gradient and AdamW's two moments each.
  CHECK(estimate.parameters_and_optimizer == doctest::Approx(3'290'880.0 * 4 * 4));
  // The logits of 8 × 256 tokens over 257 ids, and their gradient.
  CHECK(estimate.logits == doctest::Approx(2.0 * 8 * 256 * 257 * 4));
}

TEST_CASE("memory estimate: SGD keeps one copy of the parameters where AdamW keeps two") {
  RunConfig sgd = default_config();
  sgd.optimizer = OptimizerKind::sgd;
  const MemoryEstimate with_adamw = estimate_training_memory(default_config(), kByteVocabulary);
  const MemoryEstimate with_sgd = estimate_training_memory(sgd, kByteVocabulary);
  CHECK(with_adamw.parameters_and_optimizer - with_sgd.parameters_and_optimizer ==
        doctest::Approx(with_adamw.parameters_and_optimizer / 4));
}

TEST_CASE("memory estimate: activations grow with the micro-batch, not with gradient accumulation") {
  RunConfig doubled = default_config();
  doubled.batch = 16;
  RunConfig accumulated = default_config();
  accumulated.grad_accum = 4;
  const double base = estimate_training_memory(default_config(), kByteVocabulary).activations;
  CHECK(estimate_training_memory(doubled, kByteVocabulary).activations == doctest::Approx(2 * base));
  CHECK(estimate_training_memory(accumulated, kByteVocabulary).activations == doctest::Approx(base));
}

TEST_CASE("memory estimate: several micro-batches per step sum their gradients in one more copy") {
  RunConfig accumulated = default_config();
  accumulated.grad_accum = 2;
  RunConfig shared = default_config();
  shared.processes = 2;
  const double alone = estimate_training_memory(default_config(), kByteVocabulary).parameters_and_optimizer;
  // parameters, gradients and AdamW's two moments: four copies; the sum is a fifth
  CHECK(estimate_training_memory(accumulated, kByteVocabulary).parameters_and_optimizer ==
        doctest::Approx(alone * 5 / 4));
  CHECK(estimate_training_memory(shared, kByteVocabulary).parameters_and_optimizer > alone * 5 / 4);
}

TEST_CASE("memory estimate: every layer keeps its gumbel samples until the backward pass ends") {
  RunConfig gumbel = default_config();
  gumbel.attention.mode = AttentionKind::gumbel;
  gumbel.attention.samples = 64;
  const MemoryEstimate estimate = estimate_training_memory(gumbel, kByteVocabulary);
  const double held_samples = 4.0 * (8 * 4) * 256 * 64 * 4;  // layers × head rows × T × L × int32
  CHECK(estimate.attention > held_samples);
  CHECK(estimate.attention < 3 * held_samples);
  // Exact attention keeps nothing off the arena but a few small buffers.
  CHECK(estimate_training_memory(default_config(), kByteVocabulary).attention < kMiB);
}

TEST_CASE("memory estimate: the kNN modes keep every layer's key index") {
  RunConfig knn = default_config();
  knn.attention.mode = AttentionKind::knn;
  RunConfig clustered = knn;
  clustered.attention.knn_index = KeyIndexKind::clustered;
  // k = ceil(sqrt(256)) = 16 keys and their scores per query, 4 layers.
  const double head_tables = 4.0 * (8 * 4) * 256 * 16 * 8;
  CHECK(estimate_training_memory(knn, kByteVocabulary).attention > head_tables);
  CHECK(estimate_training_memory(clustered, kByteVocabulary).attention > head_tables);
}

TEST_CASE("memory estimate: measuring fidelity never lowers the estimate") {
  for (const AttentionKind mode : {AttentionKind::exact, AttentionKind::knn, AttentionKind::gumbel,
                                   AttentionKind::knn_tail}) {
    RunConfig config = default_config();
    config.attention.mode = mode;
    RunConfig measured = config;
    measured.fidelity_every = 10;
    CHECK(estimate_training_memory(measured, kByteVocabulary).total() >=
          estimate_training_memory(config, kByteVocabulary).total());
  }
}

TEST_CASE("memory estimate: sizes that cannot fit come out far beyond any machine, without wrapping") {
  RunConfig wide = default_config();
  wide.n_embd = 65536;
  RunConfig long_context = default_config();
  long_context.context = 1048576;
  RunConfig many_samples = default_config();
  many_samples.attention.mode = AttentionKind::gumbel;
  many_samples.attention.samples = 1000000;

  const MemoryEstimate wide_estimate = estimate_training_memory(wide, kByteVocabulary);
  const MemoryEstimate long_estimate = estimate_training_memory(long_context, kByteVocabulary);
  const MemoryEstimate sampled_estimate = estimate_training_memory(many_samples, kByteVocabulary);
  const MemoryEstimate vocabulary_estimate = estimate_training_memory(default_config(), 30'000'000);

  // 4 blocks of 12·C² weights, four copies each: 3.0 TiB.
  CHECK(wide_estimate.parameters_and_optimizer > 2.5 * 1024 * kGiB);
  // A million positions: the activations alone are 1.5 TiB.
  CHECK(long_estimate.activations > 1024 * kGiB);
  // A million samples per query in each of 4 layers: 122 GiB of samples.
  CHECK(sampled_estimate.attention > 100 * kGiB);
  // Logits of 2048 tokens over 3e7 ids, and their gradient: 458 GiB.
  CHECK(vocabulary_estimate.logits > 400 * kGiB);
  for (const MemoryEstimate& estimate : {wide_estimate, long_estimate, sampled_estimate, vocabulary_estimate}) {
    CHECK(std::isfinite(estimate.total()));
    CHECK(estimate.total() > 100 * kGiB);
  }
}

TEST_CASE("memory estimate: evaluation and generation need less than training") {
  const RunConfig config = default_config();
  const MemoryEstimate training = estimate_training_memory(config, kByteVocabulary);
  const MemoryEstimate evaluation = estimate_evaluation_memory(config, kByteVocabulary, 20);
  const MemoryEstimate generation = estimate_generation_memory(config, kByteVocabulary);
  CHECK(evaluation.total() < training.total());
  CHECK(generation.total() < evaluation.total());
  // Without gradients or optimizer state only the parameters themselves count.
  CHECK(evaluation.parameters_and_optimizer == doctest::Approx(training.parameters_and_optimizer / 4));
  // Generation's KV cache: keys and values of 4 layers × 256 positions × 256
  // wide, and a fresh one made while a full one still exists.
  CHECK(generation.attention == doctest::Approx(2 * 2.0 * 4 * 256 * 256 * 4));
  // Evaluation reads its batches first: 20 of them cost more than 2.
  CHECK(evaluation.data > estimate_evaluation_memory(config, kByteVocabulary, 2).data);
}

TEST_CASE("memory estimate: the breakdown names every field with its size") {
  const MemoryEstimate estimate = estimate_training_memory(default_config(), kByteVocabulary);
  const std::string text = estimate.breakdown();
  for (const std::string field : {"parameters and optimizer ", "activations ", "logits ", "attention ", "data ",
                                  "reuse cache ", "program "})
    CHECK(text.find(field) != std::string::npos);
  CHECK(text.find("parameters and optimizer " + memory_text(estimate.parameters_and_optimizer)) == 0);
  CHECK(text.find("logits " + memory_text(estimate.logits)) != std::string::npos);
}
