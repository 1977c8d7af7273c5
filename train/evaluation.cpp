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

Evaluation evaluate(const GPT& model, const std::vector<Batch>& batches, Arena& arena, bool with_accuracy,
                    Precision precision, const ProcessGroup& group) {
  const NoGrad inference;
  // Per batch: its loss, predicted and counted targets. Each entry has one
  // process that fills it, so the sum across processes gives every process
  // the very figures, exactly (x + 0 = x).
  constexpr size_t kFigures = 3;
  std::vector<double> figures(kFigures * batches.size(), 0.0);
  for (size_t i = static_cast<size_t>(group.rank()); i < batches.size(); i += static_cast<size_t>(group.size())) {
    const Batch& batch = batches[i];
    {
      const ArenaScope activations(arena);
      const int64_t rows = batch.rows * batch.context;
      const Tensor logits =
          model.forward(batch.inputs, batch.rows, batch.context, {.training = false, .precision = precision});
      const Tensor flat = ops::reshape(logits, {rows, logits.size(2)});
      figures[kFigures * i] = ops::cross_entropy(flat, batch.targets).item();
      if (with_accuracy) {
        const TargetHits hits = count_predicted_targets(flat.data(), batch.targets.data(), rows, flat.size(1));
        figures[kFigures * i + 1] = static_cast<double>(hits.predicted);
        figures[kFigures * i + 2] = static_cast<double>(hits.counted);
      }
    }
    arena.reset();
  }
  group.sum(figures);
  double loss_sum = 0, predicted = 0, counted = 0;
  for (size_t i = 0; i < batches.size(); ++i) {
    loss_sum += figures[kFigures * i];
    predicted += figures[kFigures * i + 1];
    counted += figures[kFigures * i + 2];
  }
  Evaluation result{.loss = loss_sum / static_cast<double>(batches.size()), .accuracy = std::nullopt};
  if (with_accuracy && counted > 0) result.accuracy = predicted / counted;
  return result;
}

}  // namespace knnformer
