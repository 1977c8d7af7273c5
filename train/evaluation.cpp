#include "train/evaluation.h"

#include "core/autograd.h"

namespace knnformer {

std::vector<Batch> read_eval_batches(const std::shared_ptr<const TokenDataset>& dataset, int64_t rows,
                                     int64_t context, int64_t count) {
  const BatchLoader val(dataset, Split::val, {.rows = rows, .context = context, .order = WindowOrder::sequential});
  std::vector<Batch> batches;
  for (int64_t i = 0; i < count; ++i) batches.push_back(val.read(i));
  return batches;
}

double mean_loss(const GPT& model, const std::vector<Batch>& batches, Arena& arena) {
  const NoGrad inference;
  double loss_sum = 0;
  for (const Batch& batch : batches) {
    {
      const ArenaScope activations(arena);
      loss_sum += model.loss(batch.inputs, batch.targets, batch.rows, batch.context, {.training = false}).item();
    }
    arena.reset();
  }
  return loss_sum / static_cast<double>(batches.size());
}

}  // namespace knnformer
