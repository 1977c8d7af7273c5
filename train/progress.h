#pragma once
// Progress: what a training run shows while it works.
//
//   Progress progress(std::cout, first_step, last_step, isatty(STDOUT_FILENO));
//   progress.step(result, tokens_per_s);   // after every step
//   progress.row(row);                     // after every metrics row
//   progress.finish();
//
// On a terminal, one line rewritten in place (step, loss, tokens/s, elapsed,
// ETA; at most ten times a second), with a permanent line for each evaluation. When
// the output is a file or a pipe, one plain line per metrics row and no
// carriage returns, so logs stay readable.
#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "train/metrics_log.h"
#include "train/trainer.h"

namespace knnformer {

class Progress {
 public:
  Progress(std::ostream& out, int64_t first_step, int64_t last_step, bool terminal);

  void step(const StepResult& result, double tokens_per_s);
  // val_accuracy: the evaluation's accuracy on the answers, when the data has them.
  void row(const MetricsRow& row, std::optional<double> val_accuracy = std::nullopt);
  // Ends the in-place line, if any.
  void finish();

 private:
  std::string timing(int64_t step) const;  // "elapsed 0:42  ETA 5:12"
  void clear_line();

  std::ostream& out_;
  int64_t first_step_, last_step_;
  bool terminal_;
  bool line_open_ = false;
  double smoothed_tokens_per_s_ = 0;  // an exponential moving average: steps vary
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_drawn_;
};

// Seconds as "m:ss", or "h:mm:ss" from an hour on.
std::string clock_text(double seconds);

}  // namespace knnformer
