#include "train/saved_model.h"

#include <optional>
#include <string>

#include "core/error.h"
#include "train/atomic_file.h"
#include "train/checkpoint_verification.h"
#include "train/run_directory.h"

namespace knnformer {

namespace {

// The run a checkpoint file sits in (RUN_DIR/checkpoints/FILE), if any.
std::optional<RunDirectory> run_of_checkpoint(const std::filesystem::path& checkpoint) {
  const std::filesystem::path folder = std::filesystem::absolute(checkpoint).parent_path();
  const RunDirectory run(folder.parent_path());
  if (folder.filename() != "checkpoints" || !std::filesystem::exists(run.config_file())) return std::nullopt;
  return run;
}

RunConfig run_config_of(const RunDirectory& run) {
  return read_run_config(read_file(run.config_file()), run.config_file().string());
}

// The checkpoint verified (against its run's config, or its own when it has
// no run) and its model loaded.
SavedModel read_saved_model(const CheckpointReader& reader, const std::optional<RunConfig>& run_config,
                            const BeforeLoading& before_loading) {
  RunConfig config = checkpoint_config(reader);
  verify_checkpoint(reader, run_config.value_or(config));
  if (before_loading) before_loading(config, reader.info().vocab_size);
  GPT model(config.model(reader.info().vocab_size), config.seed);
  reader.load("parameters", model.parameters());
  return {std::move(model), config, reader.info(), reader.path()};
}

}  // namespace

SavedModel load_saved_model(const std::filesystem::path& checkpoint_or_run, const BeforeLoading& before_loading) {
  if (!std::filesystem::is_directory(checkpoint_or_run)) {
    const std::optional<RunDirectory> run = run_of_checkpoint(checkpoint_or_run);
    return read_saved_model(CheckpointReader(checkpoint_or_run),
                            run ? std::optional(run_config_of(*run)) : std::nullopt, before_loading);
  }
  const RunDirectory run(checkpoint_or_run);
  require(std::filesystem::exists(run.config_file()),
          checkpoint_or_run.string() + ": not a run directory (no config.ini) nor a checkpoint file");
  const RunConfig run_config = run_config_of(run);
  std::optional<SavedModel> saved;
  run.restore_newest(
      [&](const CheckpointReader& reader) { saved.emplace(read_saved_model(reader, run_config, before_loading)); });
  return std::move(*saved);
}

void ask_context(RunConfig& config, int64_t context) {
  if (config.positions == PositionEncoding::rope) config.context = context;
}

void require_context(const SavedModel& saved, int64_t context, std::string_view flag) {
  require(saved.config.context == context, std::string(flag) + " " + std::to_string(context) +
                                               ": the checkpoint's learned positions fix its context at " +
                                               std::to_string(saved.config.context) +
                                               "; only rotary positions take another");
}

std::shared_ptr<const TokenDataset> open_dataset(const SavedModel& saved, const std::optional<std::string>& data) {
  std::shared_ptr<const TokenDataset> dataset;
  try {
    dataset = std::make_shared<const TokenDataset>(data.value_or(saved.config.data));
  } catch (const Error& error) {
    if (data) throw;
    throw Error(std::string(error.what()) + " (the dataset " + saved.checkpoint.string() +
                " was trained on; give --data FILE.h5)");
  }
  const int64_t vocab = dataset->header().vocab_size;
  require(vocab == saved.model.config().vocab_size,
          dataset->path().string() + ": vocab_size " + std::to_string(vocab) + " does not match the model's " +
              std::to_string(saved.model.config().vocab_size) + " (" + saved.checkpoint.string() + ")");
  return dataset;
}

}  // namespace knnformer
