#pragma once
// The training loop: steps a Trainer to the config's last step, writing
// metrics rows, evaluating and checkpointing on the config's schedule.
//
//   const RunOutcome outcome = run_training(trainer, run, progress);
//
// Step s (counted from 1) gets a metrics row when s is a multiple of
// log-every, of eval-every or of fidelity-every (when that is not 0), with
// val_loss when a multiple of eval-every and the attention-fidelity figures
// (train/model_fidelity.h) when a multiple of fidelity-every; a checkpoint
// when a multiple of checkpoint-every. The last step always gets all of
// them. These depend on s alone, never on when the process started, so a
// resumed run writes the same rows as an uninterrupted one. Evaluation and
// fidelity take no part in the timing columns.
//
// With a time-limit, the first step after which the run's training time
// (train/trainer.h, summed over resumes) reaches it is the run's last: it is
// evaluated, logged and checkpointed as the last step is, and where that
// falls depends on the machine's speed, as a time budget must.
//
// SIGINT or SIGTERM end the loop after the step in progress, which is then
// checkpointed (no extra metrics row: the rows stay those of an
// uninterrupted run), and the outcome says so.
//
// Data-parallel (docs/design.md §8.6): every process runs this loop; they
// agree after each step on its time (the slowest's) and on whether a signal
// reached any of them, so they stop at the same step. They share the
// evaluation's batches; rank 0 alone measures fidelity, writes metrics rows
// and checkpoints; before each evaluation and checkpoint the processes
// compare their parameters (train/replica_check.h).
#include <cstdint>

#include "train/progress.h"
#include "train/run_directory.h"
#include "train/trainer.h"

namespace knnformer {

struct RunOutcome {
  int64_t step = 0;          // the step reached
  int stop_signal = 0;       // the signal that stopped the run early, or 0
  bool out_of_time = false;  // the run stopped at its time-limit
  std::filesystem::path last_checkpoint;
  GradientSumTimes gradient_sum;     // this process's, over the steps trained here
  double training_seconds = 0;       // the run's training time, summed over resumes
};

RunOutcome run_training(Trainer& trainer, const RunDirectory& run, Progress& progress);

}  // namespace knnformer
