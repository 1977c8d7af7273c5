#pragma once
// RunDirectory: where a training run keeps its files.
//
//   RUN_DIR/config.ini                   the effective config
//   RUN_DIR/metrics.csv                  one row per logged step
//   RUN_DIR/checkpoints/step-00000500.h5 checkpoints, the newest N kept
//
//   const RunDirectory run("runs/kjv");
//   save_checkpoint(run.checkpoint_path(500), ...);
//   run.prune_checkpoints(3);
//   const CheckpointInfo info = run.restore_newest([&](const CheckpointReader& r) { trainer.restore(r); });
#include <cstdint>
#include <filesystem>
#include <functional>
#include <vector>

#include "train/checkpoint.h"

namespace knnformer {

class RunDirectory {
 public:
  explicit RunDirectory(std::filesystem::path root) : root_(std::move(root)) {}

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path config_file() const { return root_ / "config.ini"; }
  std::filesystem::path metrics_file() const { return root_ / "metrics.csv"; }
  std::filesystem::path checkpoint_folder() const { return root_ / "checkpoints"; }
  std::filesystem::path checkpoint_path(int64_t step) const;

  // Whether a run has written here (config.ini, metrics.csv or a checkpoint).
  bool holds_run() const;
  // Whether a checkpoint was ever completed here (set-aside ones included).
  bool ever_checkpointed() const;
  // Removes what a run writes (--force); other files in the folder stay.
  void remove_run() const;
  // Creates the folder and checkpoints/ (and missing parents).
  void create() const;

  // Checkpoint files, newest (highest step) first; temporary files excluded.
  std::vector<std::filesystem::path> checkpoints() const;
  // Checkpoints set aside by set_aside (*.corrupt).
  std::vector<std::filesystem::path> set_aside_checkpoints() const;
  // Deletes all but the newest `keep` checkpoints, and stray temporary files.
  void prune_checkpoints(int64_t keep) const;

  // Hands the checkpoints to restore, newest first, until one opens and
  // restores without an Error. Each one that fails, whatever the reason
  // (damaged, not this run's, non-finite values), is reported on stderr and
  // handed to `failed`: a resume sets it aside, eval and generate leave the
  // run as it is. An IncompatibleCheckpoint, the user's input not fitting
  // the run, stops the search instead. Returns the info of the one
  // restored; Error when none was.
  using FailedCheckpoint = std::function<void(const std::filesystem::path&)>;
  CheckpointInfo restore_newest(const std::function<void(const CheckpointReader&)>& restore,
                                const FailedCheckpoint& failed = {}) const;

  // Renames a checkpoint to "<name>.corrupt", out of every later search but
  // kept for a person to look at, and says so on stderr.
  void set_aside(const std::filesystem::path& checkpoint) const;

 private:
  std::filesystem::path root_;
};

}  // namespace knnformer
