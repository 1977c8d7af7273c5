#include "train/checkpoint_verification.h"

#include <algorithm>
#include <string>

#include "core/error.h"

namespace knnformer {

namespace {

constexpr std::string_view kCheckpointPrefix = "step-";
constexpr std::string_view kCheckpointSuffix = ".h5";

// Error "FILE: <field> is <stored>, expected <expected> <reason>" unless they agree.
void require_counter(int64_t stored, int64_t expected, const std::string& where, const std::string& field,
                     const std::string& reason) {
  require(stored == expected, where + ": " + field + " is " + std::to_string(stored) + ", expected " +
                                  std::to_string(expected) + " " + reason + " (the file was altered)");
}

void verify_counters(const CheckpointInfo& info, const RunConfig& config, const std::string& where) {
  const std::string at_step = "at step " + std::to_string(info.step);
  require(info.step >= 1, where + ": step " + std::to_string(info.step) + " is not a step a run checkpoints");
  require_counter(info.optimizer_steps, info.step, where, "optimizer_steps", at_step);
  require_counter(info.loader_step, info.step * config.micro_batches_per_step(), where, "loader_step",
                  at_step + " with grad-accum " + std::to_string(config.grad_accum) + " on " +
                      std::to_string(config.processes) + " processes");
  require_counter(info.tokens, info.step * config.tokens_per_step(), where, "tokens",
                  at_step + " of " + std::to_string(config.tokens_per_step()) + " tokens");
  require(info.seed == config.seed && info.loader_seed == config.seed,
          where + ": its seeds (" + std::to_string(info.seed) + ", " + std::to_string(info.loader_seed) +
              ") are not its config's seed " + std::to_string(config.seed) + " (the file was altered)");
}

}  // namespace

std::optional<int64_t> checkpoint_name_step(const std::filesystem::path& file) {
  const std::string name = file.filename().string();
  if (!name.starts_with(kCheckpointPrefix) || !name.ends_with(kCheckpointSuffix)) return std::nullopt;
  const std::string digits =
      name.substr(kCheckpointPrefix.size(), name.size() - kCheckpointPrefix.size() - kCheckpointSuffix.size());
  const bool decimal = !digits.empty() && digits.size() <= 18 &&
                       std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!decimal) return std::nullopt;
  return std::stoll(digits);
}

RunConfig checkpoint_config(const CheckpointReader& reader) {
  return read_run_config(reader.info().config, reader.path().string() + " (its stored config)");
}

void verify_checkpoint(const CheckpointReader& reader, const RunConfig& run_config) {
  const CheckpointInfo& info = reader.info();
  const std::string where = reader.path().string();
  if (const std::optional<int64_t> named = checkpoint_name_step(reader.path()))
    require(*named == info.step, where + ": holds step " + std::to_string(info.step) + ", not the step " +
                                     std::to_string(*named) + " of its name (renamed or altered)");
  const RunConfig stored = checkpoint_config(reader);
  verify_counters(info, stored, where);
  const std::vector<std::string_view> differences = fixed_option_differences(stored, run_config);
  if (differences.empty()) return;
  const std::string name(differences.front());
  throw Error(where + ": written with " + name + " = " + setting_text(stored, name) + ", but the run's is " +
              setting_text(run_config, name) + " (a checkpoint of another run?)");
}

}  // namespace knnformer
