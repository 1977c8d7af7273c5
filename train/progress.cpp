#include "train/progress.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include "train/number_text.h"

namespace knnformer {

std::string clock_text(double seconds) {
  const auto total = static_cast<long long>(std::llround(std::max(0.0, seconds)));
  char text[32];
  if (total >= 3600)
    std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", total / 3600, total / 60 % 60, total % 60);
  else
    std::snprintf(text, sizeof text, "%lld:%02lld", total / 60, total % 60);
  return text;
}

Progress::Progress(std::ostream& out, const ProgressPlan& plan, bool terminal)
    : out_(out), plan_(plan), terminal_(terminal) {}

std::string Progress::timing(int64_t step) const {
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const int64_t done = step - plan_.first_step;
  if (done <= 0 || trained_seconds_ <= 0) return "elapsed " + clock_text(elapsed) + "  ETA " + clock_text(0);
  const double until_last_step = elapsed / static_cast<double>(done) * static_cast<double>(plan_.last_step - step);
  const double until_time_limit = elapsed / trained_seconds_ * (plan_.training_seconds_left - trained_seconds_);
  return "elapsed " + clock_text(elapsed) + "  ETA " + clock_text(std::min(until_last_step, until_time_limit));
}

void Progress::clear_line() {
  if (!line_open_) return;
  out_ << "\r\033[K";
  line_open_ = false;
}

void Progress::step(const StepResult& result, int64_t tokens, double seconds) {
  constexpr double kSmoothing = 0.1;
  trained_seconds_ += seconds;
  const double tokens_per_s = static_cast<double>(tokens) / seconds;
  smoothed_tokens_per_s_ = smoothed_tokens_per_s_ == 0
                               ? tokens_per_s
                               : (1 - kSmoothing) * smoothed_tokens_per_s_ + kSmoothing * tokens_per_s;
  const auto now = std::chrono::steady_clock::now();
  if (!terminal_ || now - last_drawn_ < std::chrono::milliseconds(100)) return;
  last_drawn_ = now;
  clear_line();
  out_ << "step " << result.step << "/" << plan_.last_step << "  loss " << printed("%.4f", result.train_loss) << "  "
       << printed("%.0f", smoothed_tokens_per_s_) << " tok/s  " << timing(result.step) << std::flush;
  line_open_ = true;
}

void Progress::row(const MetricsRow& row, std::optional<double> val_accuracy) {
  if (terminal_ && !row.val_loss) return;
  clear_line();
  out_ << "step " << row.step << "/" << plan_.last_step << "  train_loss " << printed("%.4f", row.train_loss);
  if (row.val_loss) out_ << "  val_loss " << printed("%.4f", *row.val_loss);
  if (val_accuracy) out_ << "  val_accuracy " << printed("%.4f", *val_accuracy);
  out_ << "  lr " << printed("%.2e", row.lr) << "  grad_norm " << printed("%.3f", row.grad_norm) << "  "
       << printed("%.0f", row.tokens_per_s) << " tok/s  " << timing(row.step) << "\n"
       << std::flush;
}

void Progress::finish() {
  clear_line();
  out_ << std::flush;
}

}  // namespace knnformer
