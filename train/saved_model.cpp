#include "train/saved_model.h"

#include <optional>

#include "train/run_directory.h"

namespace knnformer {

namespace {

SavedModel read_saved_model(const CheckpointReader& reader) {
  RunConfig config;
  apply_config_text(config, reader.info().config, reader.path().string() + " (its config)");
  GPT model(config.model(reader.info().vocab_size), config.seed);
  reader.load("parameters", model.parameters());
  return {std::move(model), config, reader.info(), reader.path()};
}

}  // namespace

SavedModel load_saved_model(const std::filesystem::path& checkpoint_or_run) {
  if (!std::filesystem::is_directory(checkpoint_or_run)) return read_saved_model(CheckpointReader(checkpoint_or_run));
  std::optional<SavedModel> saved;
  RunDirectory(checkpoint_or_run).restore_newest([&](const CheckpointReader& reader) {
    saved.emplace(read_saved_model(reader));
  });
  return std::move(*saved);
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
