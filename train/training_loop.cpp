#include "train/training_loop.h"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "train/metrics_log.h"
#include "train/model_fidelity.h"
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

MetricsRow metrics_row(Trainer& trainer, const StepResult& result, const RowTimer& timer, bool evaluate) {
  return {.step = result.step,
          .tokens = trainer.tokens(),
          .train_loss = result.train_loss,
          .val_loss = evaluate ? std::optional(trainer.evaluate()) : std::nullopt,
          .lr = result.lr,
          .grad_norm = result.grad_norm,
          .ms_per_step = 1000.0 * timer.seconds / static_cast<double>(timer.steps),
          .tokens_per_s = static_cast<double>(trainer.config().tokens_per_step() * timer.steps) / timer.seconds};
}

void save(const Trainer& trainer, const RunDirectory& run, RunOutcome& outcome) {
  outcome.last_checkpoint = run.checkpoint_path(trainer.step());
  trainer.save(outcome.last_checkpoint);
  run.prune_checkpoints(trainer.config().keep_checkpoints);
}

}  // namespace

RunOutcome run_training(Trainer& trainer, const RunDirectory& run, Progress& progress) {
  const RunConfig& config = trainer.config();
  const StopSignal stop;
  const bool fidelity_logged = config.fidelity_every > 0;
  MetricsLog metrics(run.metrics_file(),
                     fidelity_logged ? fidelity_columns(config.n_layer) : std::vector<std::string>{});
  RowTimer timer;
  RunOutcome outcome;
  const int64_t first_step = trainer.step();
  while (trainer.step() < config.steps && !stop.requested()) {
    const auto step_start = Clock::now();
    const StepResult result = trainer.train_step();
    const double step_seconds = seconds_since(step_start);
    timer.seconds += step_seconds;
    ++timer.steps;
    progress.step(result, static_cast<double>(config.tokens_per_step()) / step_seconds);

    const int64_t s = result.step;
    const bool last = s == config.steps;
    const bool evaluate = last || s % config.eval_every == 0;
    const bool measure_fidelity = fidelity_logged && (last || s % config.fidelity_every == 0);
    if (evaluate || measure_fidelity || s % config.log_every == 0) {
      const MetricsRow row = metrics_row(trainer, result, timer, evaluate);
      const std::optional<ModelFidelity> fidelity =
          measure_fidelity ? std::optional(trainer.measure_fidelity()) : std::nullopt;
      metrics.append(row, fidelity_logged ? fidelity_cells(fidelity, config.n_layer) : ExtraValues{});
      progress.row(row);
      timer = {};
    }
    if (last || s % config.checkpoint_every == 0) save(trainer, run, outcome);
  }
  // A stopped run keeps the step it finished (a signal may arrive any time).
  const bool unsaved = outcome.last_checkpoint != run.checkpoint_path(trainer.step());
  if (stop.requested() && trainer.step() > first_step && unsaved) save(trainer, run, outcome);
  progress.finish();
  outcome.step = trainer.step();
  outcome.stop_signal = stop.signal_number();
  return outcome;
}

}  // namespace knnformer
