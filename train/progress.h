#pragma once
// Progress: what a training run shows while it works.
//
//   Progress progress(std::cout, {.first_step = 0, .last_step = 1200, .training_seconds_left = 600},
//                     isatty(STDOUT_FILENO));
//   progress.step(result, tokens, seconds);   // after every step
//   progress.row(row);                     // after every metrics row
//   progress.finish();
//
// On a terminal, one line rewritten in place (step, loss, tokens/s, elapsed,
// ETA; at most ten times a second), with a permanent line for each evaluation. When
// the output is a file or a pipe, one plain line per metrics row and no
// carriage returns, so logs stay readable. The ETA is the sooner of the last
// step and the time limit, each extrapolated from the run's pace so far
// (evaluations and checkpoints included in the pace, as in the wall clock).
#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <ostream>
#include <string>

#include "train/metrics_log.h"
#include "train/trainer.h"

namespace knnformer {

// Where a run starts and where it will stop.
struct ProgressPlan {
  int64_t first_step = 0;
  int64_t last_step = 0;
  // Training time (train/training_loop.h) left before the time limit; infinite without one.
  double training_seconds_left = std::numeric_limits<double>::infinity();
};

class Progress {
 public:
  Progress(std::ostream& out, const ProgressPlan& plan, bool terminal);

  // A step that trained on `tokens` in `seconds`.
  void step(const StepResult& result, int64_t tokens, double seconds);
  // val_accuracy: the evaluation's accuracy on the answers, when the data has them.
  void row(const MetricsRow& row, std::optional<double> val_accuracy = std::nullopt);
  // Ends the in-place line, if any.
  void finish();

 private:
  std::string timing(int64_t step) const;  // "elapsed 0:42  ETA 5:12"
  void clear_line();

  std::ostream& out_;
  ProgressPlan plan_;
  double trained_seconds_ = 0;  // the steps' own time since the start
  bool terminal_;
  bool line_open_ = false;
  double smoothed_tokens_per_s_ = 0;  // an exponential moving average: steps vary
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_drawn_;
};

// Seconds as "m:ss", or "h:mm:ss" from an hour on.
std::string clock_text(double seconds);

}  // namespace knnformer
