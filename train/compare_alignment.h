#pragma once
// Aligning runs for comparison: each run's logged points, with the
// wall-clock training time up to each, cut to the range all runs cover.
//
//   std::vector<Curve> curves;
//   for (const ComparedRun& run : runs) curves.push_back(curve_of(run));
//   const Alignment aligned = align_curves(curves, CompareAxis::tokens);
//   aligned.limit       // the end of the common range: 614400 (tokens)
//   aligned.curves[r]   // run r's points up to there
//
// By step or by tokens the common range ends at the largest position that
// every run logged, so that runs of different budgets (or one still
// training) are judged at the same point, and "final" means the same for
// all. By time it ends where the shortest run stopped: an equal wall-clock
// budget, in which a run keeps each row whose last step began by then (runs
// stopped by the same --time-limit end a fraction of a step apart). Runs
// that share no logged step (or token count), or no stretch of time, are an
// Error: every aligned curve holds at least one point.
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/enum_names.h"
#include "train/compare_run.h"

namespace knnformer {

// What compare puts runs side by side on (--by).
enum class CompareAxis { step, tokens, time };
constexpr std::array<EnumName<CompareAxis>, 3> kCompareAxisNames{
    {{CompareAxis::step, "step"}, {CompareAxis::tokens, "tokens"}, {CompareAxis::time, "time"}}};
constexpr const auto& enum_names(CompareAxis) { return kCompareAxisNames; }

// One logged row of a run, placed on all three axes.
struct CurvePoint {
  int64_t step = 0;
  int64_t tokens = 0;
  double seconds = 0;  // training time up to this step (evaluations and checkpoints excluded)
  double train_loss = 0;
  std::optional<double> val_loss;
  std::optional<double> val_accuracy;  // a fraction, on data with answers to count, where evaluated
  double ms_per_step = 0;
  double tokens_per_s = 0;
};
using Curve = std::vector<CurvePoint>;

// One point per row of the run, its val accuracy read from the run's
// val_accuracy column when it logs one. A row's ms_per_step is the mean over
// the steps since the previous row, so the time up to a row adds ms_per_step
// times those steps.
Curve curve_of(const ComparedRun& run);

double position(const CurvePoint& point, CompareAxis axis);

struct Alignment {
  CompareAxis axis = CompareAxis::step;
  double limit = 0;           // the end of the common range, on the axis
  std::vector<Curve> curves;  // per run, its points up to the limit
};

Alignment align_curves(const std::vector<Curve>& curves, CompareAxis axis);

}  // namespace knnformer
