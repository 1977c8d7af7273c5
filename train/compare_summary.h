#pragma once
// RunSummary: what compare's table says about one run — how its attention
// was set up, and what it reached on the common range, against the first run.
//
//   const Alignment aligned = align_curves(curves, CompareAxis::step);
//   const std::vector<RunSummary> summaries = summarize_runs(runs, aligned);
//   summaries[1].final_gap_percent   // +1.5: its final val loss is 1.5% above the first run's
//   summaries[1].speed_ratio         // 2.0: its steps take half the first run's time
//   summaries[1].accuracy->reached_90_percent->seconds   // 12.5: training time to 90% val accuracy
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "train/compare_alignment.h"
#include "train/compare_run.h"

namespace knnformer {

// The attention options as the table shows them: the effective values
// (auto backward and k resolved), "-" for an option the mode does not use.
struct AttentionSetup {
  std::string mode, backward, k, samples, index;
};

AttentionSetup attention_setup(const RunConfig& config);

// A metrics column beyond MetricsRow's (attention fidelity, say), averaged
// over the run's rows in the common range that have a value. The val
// accuracy is not one: it has an AccuracySummary of its own.
struct FigureMean {
  std::string name;
  double mean = 0;
};

// Where a run's val accuracy first reached a threshold: its first evaluated
// point at or above it.
struct AccuracyReached {
  int64_t step = 0;
  double seconds = 0;  // training time up to that step
};

// A run's val accuracy (a fraction) on the common range, where it logs one:
// how far it got, and how soon. Runs on tasks with answers are compared by
// the time they take to get them right.
struct AccuracySummary {
  double final_accuracy = 0;                          // at the last evaluated point
  double best_accuracy = 0;                           // the highest
  int64_t best_step = 0;                              // where it was first reached
  std::optional<AccuracyReached> reached_50_percent;  // none: never reached
  std::optional<AccuracyReached> reached_90_percent;
  std::optional<double> time_to_90_percent_ratio;     // its time to 90% over the first run's; none unless both reach it
};

struct RunSummary {
  std::string name;
  AttentionSetup attention;
  int64_t steps = 0;                        // the last step compared
  std::optional<double> final_val;          // the last val loss in the common range (none: never evaluated)
  std::optional<double> best_val;           // the lowest one
  int64_t best_step = 0;                    // where it was reached
  double median_ms_per_step = 0;            // the median over the rows: robust to a slow first row
  double median_tokens_per_s = 0;
  std::optional<double> final_gap_percent;  // 100 (final - first run's final) / first run's final
  std::optional<double> best_gap_percent;   // the same for the best val loss
  double speed_ratio = 1;                   // the first run's median ms/step over this run's
  std::vector<FigureMean> figures;          // in the file's column order; none for a column without values
  std::optional<AccuracySummary> accuracy;  // none: no val accuracy in the common range
};

// One summary per run, in order; aligned.curves[r] belongs to runs[r].
std::vector<RunSummary> summarize_runs(const std::vector<ComparedRun>& runs, const Alignment& aligned);

}  // namespace knnformer
