#include "train/training_loop.h"

#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "train/metrics_log.h"
#include "train/model_fidelity.h"
#include "train/replica_check.h"
#include "train/stop_signal.h"

namespace knnformer {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// Training time since the last metrics row (evaluations and checkpoints excluded).
struct RowTimer {
  double seconds = 0;
  int64_t steps = 0;
};

MetricsRow metrics_row(const Trainer& trainer, const StepResult& result, const RowTimer& timer,
                       const std::optional<Evaluation>& val) {
  return {.step = result.step,
          .tokens = trainer.tokens(),
          .train_loss = result.train_loss,
          .val_loss = val ? std::optional(val->loss) : std::nullopt,
          .lr = result.lr,
          .grad_norm = result.grad_norm,
          .ms_per_step = 1000.0 * timer.seconds / static_cast<double>(timer.steps),
          .tokens_per_s = static_cast<double>(trainer.config().tokens_per_step() * timer.steps) / timer.seconds};
}

// The columns after the standard ones: val_accuracy when the data has
// answers to count, then the fidelity figures when they are measured.
std::vector<std::string> extra_columns(const Trainer& trainer) {
  std::vector<std::string> columns;
  if (trainer.measures_accuracy()) columns.push_back(std::string(kValAccuracyColumn));
  if (trainer.config().fidelity_every > 0) {
    const std::vector<std::string> fidelity = fidelity_columns(trainer.config().n_layer);
    columns.insert(columns.end(), fidelity.begin(), fidelity.end());
  }
  return columns;
}

ExtraValues extra_cells(const Trainer& trainer, const std::optional<Evaluation>& val,
                        const std::optional<ModelFidelity>& fidelity) {
  ExtraValues cells;
  if (trainer.measures_accuracy()) cells.push_back(val ? val->accuracy : std::nullopt);
  if (trainer.config().fidelity_every > 0) {
    const ExtraValues fidelity_values = fidelity_cells(fidelity, trainer.config().n_layer);
    cells.insert(cells.end(), fidelity_values.begin(), fidelity_values.end());
  }
  return cells;
}

// Rank 0 alone writes; every process knows where the checkpoint went.
void save(const Trainer& trainer, const RunDirectory& run, RunOutcome& outcome) {
  outcome.last_checkpoint = run.checkpoint_path(trainer.step());
  if (!trainer.group().is_root()) return;
  trainer.save(outcome.last_checkpoint);
  run.prune_checkpoints(trainer.config().keep_checkpoints);
}

// What the processes of a data-parallel run must agree on after each step,
// so that they stop, evaluate and checkpoint at the same steps: the step's
// time (the slowest process's, which the others waited for in the gradient
// sum) and the stop signal that reached any of them (0: none).
struct StepAgreement {
  double seconds = 0;
  int stop_signal = 0;
};

StepAgreement agree(const ProcessGroup& group, double seconds, int stop_signal) {
  std::array<double, 2> values{seconds, static_cast<double>(stop_signal)};
  group.maximum(values);
  return {.seconds = values[0], .stop_signal = static_cast<int>(values[1])};
}

}  // namespace

RunOutcome run_training(Trainer& trainer, const RunDirectory& run, Progress& progress) {
  const RunConfig& config = trainer.config();
  const ProcessGroup& group = trainer.group();
  const StopSignal stop;
  const bool fidelity_logged = config.fidelity_every > 0;
  std::optional<MetricsLog> metrics;
  if (group.is_root()) metrics.emplace(run.metrics_file(), extra_columns(trainer));
  RowTimer timer;
  RunOutcome outcome;
  const int64_t first_step = trainer.step();
  const auto out_of_time = [&] { return config.time_limit > 0 && trainer.training_seconds() >= config.time_limit; };
  int stop_signal = 0;
  while (trainer.step() < config.steps && !out_of_time() && stop_signal == 0) {
    const auto step_start = Clock::now();
    const StepResult result = trainer.train_step();
    const StepAgreement agreed = agree(group, seconds_since(step_start), stop.signal_number());
    stop_signal = agreed.stop_signal;
    timer.seconds += agreed.seconds;
    ++timer.steps;
    trainer.add_training_time(agreed.seconds);
    outcome.gradient_sum.waiting += result.gradient_sum.waiting;
    outcome.gradient_sum.summing += result.gradient_sum.summing;
    progress.step(result, config.tokens_per_step(), agreed.seconds);

    const int64_t s = result.step;
    const bool last = s == config.steps || out_of_time();
    const bool evaluate = last || s % config.eval_every == 0;
    const bool measure_fidelity = fidelity_logged && (last || s % config.fidelity_every == 0);
    const bool checkpoint = last || s % config.checkpoint_every == 0;
    if (evaluate || checkpoint) require_identical_replicas(group, trainer.model().parameters(), s);
    const std::optional<Evaluation> val = evaluate ? std::optional(trainer.evaluate()) : std::nullopt;
    const bool logged = evaluate || measure_fidelity || s % config.log_every == 0;
    if (group.is_root() && logged) {
      const MetricsRow row = metrics_row(trainer, result, timer, val);
      const std::optional<ModelFidelity> fidelity =
          measure_fidelity ? std::optional(trainer.measure_fidelity()) : std::nullopt;
      metrics->append(row, extra_cells(trainer, val, fidelity));
      progress.row(row, val ? val->accuracy : std::nullopt);
    }
    if (logged) timer = {};
    if (checkpoint) save(trainer, run, outcome);
  }
  // A stopped run keeps the step it finished (a signal may arrive any time).
  const bool unsaved = outcome.last_checkpoint != run.checkpoint_path(trainer.step());
  if (stop_signal != 0 && trainer.step() > first_step && unsaved) save(trainer, run, outcome);
  progress.finish();
  outcome.step = trainer.step();
  outcome.stop_signal = stop_signal;
  outcome.out_of_time = out_of_time();
  outcome.training_seconds = trainer.training_seconds();
  return outcome;
}

}  // namespace knnformer
