#pragma once
// Trainer: a GPT model, its optimizer and its data, stepped one optimizer
// step at a time. It knows nothing of files besides its checkpoints; the
// training loop (train/training_loop.h) decides when to log, evaluate and save.
//
//   Trainer trainer(config, dataset);
//   while (trainer.step() < config.steps) {
//     const StepResult result = trainer.train_step();
//     if (...) const Evaluation val = trainer.evaluate();   // val.loss, val.accuracy
//   }
//
// One step: M = grad-accum × processes micro-batches of `batch` rows each run
// forward and backward (each micro-batch's loss scaled by 1/M, so the
// gradients add up to the gradient of the mean loss); the global gradient
// norm is clipped to grad-clip; the optimizer steps with the schedule's
// learning rate; the gradients are zeroed. Activations live in an arena reset
// after every micro-batch.
//
// Data-parallel (docs/design.md §8.6): the N processes of the group share a
// step's micro-batches, rank r taking micro-batches r·M/N .. (r+1)·M/N − 1,
// and their gradients are summed across the group (train/gradient_sum.h)
// before clipping; every process then applies the same update. N must divide
// M; N = 1 is one process training alone.
//
// Determinism: micro-batch m of step s is the loader's batch s·M + m, and its
// dropout and attention sampling are keyed by (seed, s, m), whichever process
// computes it; so the state of a run is its parameters, optimizer state and
// step, all of which a checkpoint holds, and a restored trainer continues
// exactly as the original would have.
#include <cstdint>
#include <memory>
#include <vector>

#include "core/arena.h"
#include "data/batch_loader.h"
#include "layers/gpt.h"
#include "optim/optimizer.h"
#include "train/checkpoint.h"
#include "train/evaluation.h"
#include "train/gradient_sum.h"
#include "train/model_fidelity.h"
#include "train/process_group.h"
#include "train/run_config.h"

namespace knnformer {

struct StepResult {
  int64_t step = 0;        // the steps done after this one (1 for the first)
  double train_loss = 0;   // mean loss of its micro-batches
  double grad_norm = 0;    // before clipping
  double lr = 0;
  GradientSumTimes gradient_sum;  // across processes (0 for one)
};

class Trainer {
 public:
  // Builds the model (vocabulary from the dataset) and the optimizer from the
  // config, to train as one process of `group`; Error unless the group's size
  // divides the step's micro-batches.
  Trainer(const RunConfig& config, const std::shared_ptr<const TokenDataset>& dataset,
          const ProcessGroup& group = ProcessGroup::world());

  // Error, before the optimizer's update, when the step's loss or gradient
  // norm is not finite: the state stays the last good one, and no metrics
  // row or checkpoint of a diverged run is written.
  StepResult train_step();

  // Mean loss over the config's eval-batches val batches: always the same
  // windows (the val split walked in order), dropout off; and the accuracy
  // on their answers when the dataset has a loss mask (measures_accuracy()).
  // Error, naming the step, when the loss is not finite: a diverged state is
  // not logged or saved. Collective: the processes share the batches.
  Evaluation evaluate();
  bool measures_accuracy() const { return measures_accuracy_; }

  // The attention fidelity of every layer on the first of those val batches
  // (train/model_fidelity.h); training goes on as if it had not run.
  ModelFidelity measure_fidelity();

  int64_t step() const { return step_; }
  // Training time so far, summed over resumes (checkpoints keep it); the
  // training loop adds each step's, evaluations and checkpoints excluded.
  double training_seconds() const { return training_seconds_; }
  void add_training_time(double seconds) { training_seconds_ += seconds; }
  int64_t tokens() const { return step_ * config_.tokens_per_step(); }
  const GPT& model() const { return model_; }
  const RunConfig& config() const { return config_; }
  // The precision the linear layers' products run in: the config's, unless
  // it asks for bf16 on a CPU without bf16 instructions (gemm::usable_precision).
  Precision precision() const { return precision_; }

  // A new run's parameters from another model of the same shape (train
  // --init-from); Error, naming `source` and the parameter, when a name or
  // shape differs (learned positions fix wpe's shape to the context).
  void initialise_from(const GPT& model, const std::string& source);

  void save(const std::filesystem::path& path) const;
  // Loads parameters, optimizer state and step; Error if the checkpoint does
  // not fit this trainer's model, data or seed.
  void restore(const CheckpointReader& reader);

  // Collective: every process takes rank 0's parameters, optimizer state,
  // step and training time (a new run's initialisation or a restored checkpoint).
  void share_state_of_root();
  const ProcessGroup& group() const { return group_; }

 private:
  double micro_step(const Batch& batch, int64_t micro);
  void require_finite_step(double train_loss, double grad_norm) const;

  RunConfig config_;
  Precision precision_;
  const ProcessGroup& group_;
  GPT model_;
  std::unique_ptr<Optimizer> optimizer_;
  LearningRateSchedule schedule_;
  BatchLoader train_batches_;
  std::vector<Batch> eval_batches_;
  bool measures_accuracy_;
  int64_t micro_batches_here_;  // of each step, on this process
  GradientSum gradient_;
  Arena arena_;
  int64_t step_ = 0;
  double training_seconds_ = 0;
};

}  // namespace knnformer
