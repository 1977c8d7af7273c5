#pragma once
// A trained checkpoint read for a benchmark at a sequence length of the
// benchmark's choosing: rotary positions take any T, learned ones only the
// context they were trained at. The model attends as `attention` says, with
// no dropout, and reads the first val sequence of its dataset (the run's own,
// or `data`).
//
//   const bench::CheckpointWorkload workload = bench::read_checkpoint("runs/copy", std::nullopt, 16384, options);
//   workload.model.forward(workload.tokens, 1, 16384, ...);
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "layers/gpt.h"
#include "train/evaluation.h"
#include "train/saved_model.h"

namespace knnformer::bench {

struct CheckpointWorkload {
  GPT model;
  std::vector<int32_t> tokens, targets;
};

inline CheckpointWorkload read_checkpoint(const std::string& checkpoint, const std::optional<std::string>& data,
                                          int64_t time, const AttentionOptions& attention) {
  SavedModel saved = load_saved_model(checkpoint, [&](RunConfig& config, int64_t) {
    ask_context(config, time);
    config.dropout = 0;
    config.attention = attention;
  });
  require_context(saved, time, "--T");
  const Batch batch = read_eval_batches(open_dataset(saved, data), 1, time, 1).front();
  return {.model = std::move(saved.model), .tokens = batch.inputs, .targets = batch.targets};
}

}  // namespace knnformer::bench
