#pragma once
// Checkpoints: the whole state of a training run at a step, in one HDF5 file.
//
//   save_checkpoint(path, info, model.parameters(), optimizer.state());
//   const CheckpointReader reader(path);          // checks format and version
//   reader.info().step;
//   reader.load("parameters", model.parameters());  // verifies names, shapes, checksums
//
// Layout (format "knnformer-checkpoint", format_version 1):
//   /parameters/<name>   each model parameter, float32, in its own shape
//   /optimizer/<name>    each optimizer state tensor (AdamW moments, SGD momentum)
//   root attributes      format, format_version, step, tokens, seed,
//                        optimizer_steps, loader_seed, loader_step, training_ms,
//                        processes, vocab_size,
//                        data (the dataset's path) and config (the effective
//                        config as INI text)
// Datasets are chunked with HDF5's Fletcher32 checksum, and the file uses the
// 1.10 format, whose metadata (attributes included) carries checksums too: a
// flipped bit anywhere makes reading fail instead of resuming from garbage.
//
// save_checkpoint writes "<path>.tmp", flushes and syncs it, then renames it
// to path: a crash never leaves a half-written checkpoint under a real name.
#include <cstdint>
#include <filesystem>
#include <string>

#include "core/error.h"
#include "core/parameter_list.h"
#include "data/hdf5_handle.h"

namespace knnformer {

inline constexpr std::string_view kCheckpointFormatName = "knnformer-checkpoint";
inline constexpr int64_t kCheckpointFormatVersion = 1;

// A checkpoint that is intact but does not fit what the user gave with it (a
// dataset of another vocabulary): the input is at fault, not the file, so a
// resume reports it instead of trying older checkpoints.
class IncompatibleCheckpoint : public Error {
 public:
  using Error::Error;
};

// Throws IncompatibleCheckpoint(message) unless condition holds.
inline void require_fit(bool condition, const std::string& message) {
  if (!condition) throw IncompatibleCheckpoint(message);
}

struct CheckpointInfo {
  int64_t step = 0;             // optimizer steps done
  int64_t tokens = 0;           // training tokens seen
  uint64_t seed = 0;
  int64_t optimizer_steps = 0;  // the optimizer's own count (AdamW's bias correction)
  uint64_t loader_seed = 0;     // the batch loader's whole state is (seed, step)
  int64_t loader_step = 0;      // the next batch it draws
  int64_t training_ms = 0;      // training time up to this step, summed over resumes (evaluations and
                                // checkpoints excluded); 0 in checkpoints written before it was kept
  int64_t processes = 1;        // processes that trained the step saved here (1 in checkpoints written before
                                // data-parallel training)
  int64_t vocab_size = 0;
  std::string data;             // the dataset the run trains on
  std::string config;           // the effective config, INI text
};

void save_checkpoint(const std::filesystem::path& path, const CheckpointInfo& info, const ParameterList& parameters,
                     const ParameterList& optimizer_state);

class CheckpointReader {
 public:
  // Opens the file and reads its info; Error naming the file if it is not a
  // checkpoint of this format and version.
  explicit CheckpointReader(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return path_; }
  const CheckpointInfo& info() const { return info_; }

  // Reads group ("parameters" or "optimizer") into the tensors of `into`,
  // which must match the stored ones in names and shapes; a difference, a
  // dataset that fails its checksum or one holding a nan or an infinity is an
  // Error naming it. (Which checkpoints belong to a run is decided before,
  // from their configs: train/checkpoint_verification.h.)
  void load(const std::string& group, const ParameterList& into) const;

 private:
  std::filesystem::path path_;
  FileHandle file_;
  CheckpointInfo info_;
};

}  // namespace knnformer
