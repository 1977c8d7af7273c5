#pragma once
// The learning-rate schedule: linear warm-up from lr/warmup to lr over the
// first `warmup` steps, then cosine decay from lr to min_lr at the last step
// (nanoGPT's schedule). Steps count from 0.
#include <cstdint>

namespace knnformer {

struct LearningRateSchedule {
  double lr = 1e-3;
  double min_lr = 1e-4;
  int64_t warmup = 100;
  int64_t total_steps = 1000;

  double at(int64_t step) const;
};

}  // namespace knnformer
