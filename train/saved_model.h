#pragma once
// SavedModel: a trained model read back from a checkpoint, for eval and generate.
//
//   const SavedModel saved = load_saved_model("runs/kjv");   // or ".../step-00000500.h5"
//   saved.model.forward(...);  saved.config.data;  saved.info.step;
//   const auto dataset = open_dataset(saved, std::nullopt);  // the run's own data
//
// Given a run directory, the newest checkpoint that opens and verifies is
// used (others are reported on stderr and skipped; the run is left as it
// is). A checkpoint is verified against its run's config.ini, or against
// its own stored config when it lies outside a run
// (train/checkpoint_verification.h). The model's shape comes from the
// config stored in the checkpoint itself, so a checkpoint file is usable on
// its own.
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "data/token_dataset.h"
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

// `before_loading` is called with the checkpoint's config and vocabulary
// once it is verified and before the model is allocated (a memory check);
// it may change what does not change the parameters, such as the attention
// mode eval runs (`eval --attention`), and the model is built from its result.
using BeforeLoading = std::function<void(RunConfig& config, int64_t vocab_size)>;
SavedModel load_saved_model(const std::filesystem::path& checkpoint_or_run, const BeforeLoading& before_loading = {});

// Another sequence length for a saved model. In a BeforeLoading, ask_context
// sets it where the positions allow: rotary ones encode only distances and
// take any length, learned ones fix the length they were trained at. An
// error there would read as a damaged checkpoint, so require_context refuses
// a fixed length after loading; `flag` names the option that asked for it.
void ask_context(RunConfig& config, int64_t context);
void require_context(const SavedModel& saved, int64_t context, std::string_view flag);

// The dataset given (--data), else the one the run trained on; Error unless
// it opens and its vocabulary is the model's.
std::shared_ptr<const TokenDataset> open_dataset(const SavedModel& saved, const std::optional<std::string>& data);

}  // namespace knnformer
