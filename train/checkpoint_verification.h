#pragma once
// Whether a checkpoint is one its run wrote, checked before anything is
// loaded from it.
//
// A checkpoint's checksums prove its bytes are the ones written, not that
// they belong where they are: a file copied in from another run, renamed, or
// with attributes rewritten by a tool that recomputes the checksums reads
// back cleanly. Its meaning is therefore checked too:
//   - the step in its file name ("step-00000500.h5") is its stored step;
//   - its counters follow from that step as a run writes them: tokens =
//     step × tokens per step, loader_step = step × grad-accum, the
//     optimizer's own count = step, and both seeds are the config's;
//   - its stored config equals the run's config.ini in every option a resume
//     keeps (run_config.h, is_resumable).
//
//   verify_checkpoint(reader, run_config);   // Error naming the file and the first disagreement
#include <cstdint>
#include <filesystem>
#include <optional>

#include "train/checkpoint.h"
#include "train/run_config.h"

namespace knnformer {

// The step in a checkpoint file's name ("step-00000500.h5" → 500); nullopt
// for any other name.
std::optional<int64_t> checkpoint_name_step(const std::filesystem::path& file);

// The config the checkpoint was written with (its stored copy, which must be complete).
RunConfig checkpoint_config(const CheckpointReader& reader);

// Error unless the checkpoint agrees with its name, its own counters and
// `run_config` as described above.
void verify_checkpoint(const CheckpointReader& reader, const RunConfig& run_config);

}  // namespace knnformer
