#include "optim/schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace knnformer {

double LearningRateSchedule::at(int64_t step) const {
  if (step < warmup) return lr * static_cast<double>(step + 1) / static_cast<double>(warmup);
  if (total_steps <= warmup) return lr;
  const double progress =
      std::clamp(static_cast<double>(step - warmup) / static_cast<double>(total_steps - 1 - warmup), 0.0, 1.0);
  const double cosine = 0.5 * (1.0 + std::cos(std::numbers::pi * progress));
  return min_lr + cosine * (lr - min_lr);
}

}  // namespace knnformer
