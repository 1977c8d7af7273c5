#pragma once
// Evaluation: a model's mean loss on a fixed set of val batches, and for
// datasets with answers (a loss mask, data/synthetic_tasks.h) its accuracy.
//
//   const std::vector<Batch> batches = read_eval_batches(dataset, 8, 256, 20);
//   const Evaluation result = evaluate(model, batches, arena, /*with_accuracy=*/true);
//   result.loss;        // perplexity = exp(loss)
//   *result.accuracy;   // fraction of the counted targets whose logit is the row's largest
//
// The batches are the first `count` batches of the val split walked in order
// (BatchLoader's sequential order): every evaluation of every run with the
// same shape measures the same windows or documents, so val figures compare
// across steps and runs. Dropout is off and no gradients are recorded; the
// linear layers' products run in `precision`, a run's own (core/precision.h).
//
// The loss is the mean over batches of each batch's mean over its counted
// targets (those not ops::kIgnoredTarget). Every batch of a text dataset
// counts all its targets, and every batch of a synthetic task as many
// answers as the next (its documents share one layout), so this is the mean
// over all counted targets. The accuracy counts a target as predicted when
// its logit is strictly the largest of its row, or the first of equal largest
// ones: the argmax a greedy decoder takes.
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "core/arena.h"
#include "data/batch_loader.h"
#include "layers/gpt.h"
#include "train/process_group.h"

namespace knnformer {

std::vector<Batch> read_eval_batches(const std::shared_ptr<const TokenDataset>& dataset, int64_t rows,
                                     int64_t context, int64_t count);

struct Evaluation {
  double loss = 0;
  std::optional<double> accuracy;  // when asked for; none when no target counts
};

// The activations live in `arena`, which is reset after each batch.
// Collective over `group` (train/process_group.h): each process measures
// every N-th batch, and every process gets the whole result, the same bits
// as one process measuring them all (the per-batch figures are added in
// batch order).
Evaluation evaluate(const GPT& model, const std::vector<Batch>& batches, Arena& arena, bool with_accuracy,
                    Precision precision = Precision::fp32, const ProcessGroup& group = ProcessGroup::world());

// Of `rows` rows of `vocab` logits, how many of the targets that count
// (not ops::kIgnoredTarget) are the row's first largest logit, and how many count.
struct TargetHits {
  int64_t predicted = 0;
  int64_t counted = 0;
};
TargetHits count_predicted_targets(const float* logits, const int32_t* targets, int64_t rows, int64_t vocab);

}  // namespace knnformer
