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

}  // namespace knnformer
