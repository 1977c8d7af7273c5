#pragma once
// Evaluation: a model's mean loss on a fixed set of val batches.
//
//   const std::vector<Batch> batches = read_eval_batches(dataset, 8, 256, 20);
//   const double loss = mean_loss(model, batches, arena);   // perplexity = exp(loss)
//
// The batches are the first `count` batches of the val split walked in order
// (BatchLoader's sequential order): every evaluation of every run with the
// same shape measures the same windows, so val losses compare across steps
// and runs. Dropout is off and no gradients are recorded.
#include <memory>
#include <vector>

#include "core/arena.h"
#include "data/batch_loader.h"
#include "layers/gpt.h"

namespace knnformer {

std::vector<Batch> read_eval_batches(const std::shared_ptr<const TokenDataset>& dataset, int64_t rows,
                                     int64_t context, int64_t count);

// The activations live in `arena`, which is reset after each batch.
double mean_loss(const GPT& model, const std::vector<Batch>& batches, Arena& arena);

}  // namespace knnformer
