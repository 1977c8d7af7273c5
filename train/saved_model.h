#pragma once
// SavedModel: a trained model read back from a checkpoint, for eval and generate.
//
//   const SavedModel saved = load_saved_model("runs/kjv");   // or ".../step-00000500.h5"
//   saved.model.forward(...);  saved.config.data;  saved.info.step;
//
// Given a run directory, the newest checkpoint that opens and verifies is
// used (others are reported on stderr and skipped). The model's shape comes
// from the config stored in the checkpoint itself, so a checkpoint file is
// usable on its own.
#include <filesystem>

#include "layers/gpt.h"
#include "train/checkpoint.h"
#include "train/run_config.h"

namespace knnformer {

struct SavedModel {
  GPT model;
  RunConfig config;
  CheckpointInfo info;
  std::filesystem::path checkpoint;
};

SavedModel load_saved_model(const std::filesystem::path& checkpoint_or_run);

}  // namespace knnformer
