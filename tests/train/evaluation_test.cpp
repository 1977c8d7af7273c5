#include <doctest/doctest.h>

#include <memory>
#include <vector>

#include "core/autograd.h"
#include "core/ops/cross_entropy.h"
#include "train/evaluation.h"
#include "train_test_files.h"

using namespace knnformer;
using knnformer::testing::TemporaryFolder;

TEST_CASE("count_predicted_targets: the counted targets whose logit is the row's first largest") {
  // Four rows of three logits; the third row ties at its largest (index 0 first), the last is not counted.
  const std::vector<float> logits = {0.1f, 2.0f, 0.3f,    // argmax 1
                                     5.0f, -1.0f, 4.0f,   // argmax 0
                                     1.0f, 0.0f, 1.0f,    // tie of 0 and 2: argmax 0
                                     0.0f, 0.0f, 9.0f};   // argmax 2, ignored
  const std::vector<int32_t> targets = {1, 2, 2, ops::kIgnoredTarget};
  const TargetHits hits = count_predicted_targets(logits.data(), targets.data(), 4, 3);
  CHECK(hits.counted == 3);
  CHECK(hits.predicted == 1);  // only the first row: 2 is not row 2's argmax, nor the tie's first
}

TEST_CASE("evaluate: the loss is the model's mean loss over the batches; accuracy only when asked") {
  const TemporaryFolder folder;
  const auto dataset = std::make_shared<const TokenDataset>(knnformer::testing::write_tiny_dataset(folder.path()));
  const RunConfig config = knnformer::testing::tiny_config(dataset->path(), folder.path() / "run");
  const GPT model(config.model(dataset->header().vocab_size), config.seed);
  const std::vector<Batch> batches = read_eval_batches(dataset, 2, config.context, 3);
  Arena arena;

  double loss_sum = 0;
  {
    const NoGrad inference;
    for (const Batch& batch : batches)
      loss_sum += model.loss(batch.inputs, batch.targets, batch.rows, batch.context, {.training = false}).item();
  }
  const Evaluation without = evaluate(model, batches, arena, false);
  CHECK(without.loss == loss_sum / 3);  // bit for bit: the same ops in the same order
  CHECK_FALSE(without.accuracy.has_value());

  const Evaluation with = evaluate(model, batches, arena, true);
  CHECK(with.loss == without.loss);
  REQUIRE(with.accuracy.has_value());
  CHECK(*with.accuracy >= 0.0);
  CHECK(*with.accuracy <= 1.0);
}
