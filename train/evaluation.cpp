#include "train/evaluation.h"

#include <algorithm>

#include "core/autograd.h"
#include "core/ops/cross_entropy.h"
#include "core/ops/shape_ops.h"

namespace knnformer {

std::vector<Batch> read_eval_batches(const std::shared_ptr<const TokenDataset>& dataset, int64_t rows,
                                     int64_t context, int64_t count) {
  const BatchLoader val(dataset, Split::val, {.rows = rows, .context = context, .order = WindowOrder::sequential});
  std::vector<Batch> batches;
  for (int64_t i = 0; i < count; ++i) batches.push_back(val.read(i));
  return batches;
}

TargetHits count_predicted_targets(const float* logits, const int32_t* targets, int64_t rows, int64_t vocab) {
  TargetHits hits;
  for (int64_t r = 0; r < rows; ++r) {
    if (targets[r] == ops::kIgnoredTarget) continue;
    const float* const row = logits + r * vocab;
    ++hits.counted;
    if (std::max_element(row, row + vocab) - row == targets[r]) ++hits.predicted;
  }
  return hits;
}

Evaluation evaluate(const GPT& model, const std::vector<Batch>& batches, Arena& arena, bool with_accuracy) {
  const NoGrad inference;
  double loss_sum = 0;
  TargetHits hits;
  for (const Batch& batch : batches) {
    {
      const ArenaScope activations(arena);
      const int64_t rows = batch.rows * batch.context;
      const Tensor logits = model.forward(batch.inputs, batch.rows, batch.context, {.training = false});
      const Tensor flat = ops::reshape(logits, {rows, logits.size(2)});
      loss_sum += ops::cross_entropy(flat, batch.targets).item();
      if (with_accuracy) {
        const TargetHits batch_hits = count_predicted_targets(flat.data(), batch.targets.data(), rows, flat.size(1));
        hits.predicted += batch_hits.predicted;
        hits.counted += batch_hits.counted;
      }
    }
    arena.reset();
  }
  Evaluation result{.loss = loss_sum / static_cast<double>(batches.size()), .accuracy = std::nullopt};
  if (with_accuracy && hits.counted > 0)
    result.accuracy = static_cast<double>(hits.predicted) / static_cast<double>(hits.counted);
  return result;
}

}  // namespace knnformer
