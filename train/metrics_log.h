#pragma once
// MetricsLog: RUN_DIR/metrics.csv, one row per logged step.
//
//   MetricsLog log(run_dir / "metrics.csv");   // creates it with its header, or appends
//   log.append({.step = 10, .tokens = 20480, .train_loss = 2.31, ...});
//
// Columns, in this order (users' scripts depend on them; more may follow):
//   step,tokens,train_loss,val_loss,lr,grad_norm,ms_per_step,tokens_per_s
// val_loss is empty where the step was not evaluated. A log made with extra
// columns (the attention-fidelity figures, train/model_fidelity.h) writes
// them after these, each row giving a value or none (an empty cell); without
// them the file is exactly the standard one. Numbers are printed with fixed
// formats (extra values with %.6g), so that two runs computing the same
// values write the same bytes: a resumed run's rows equal the uninterrupted
// run's except for the two timing columns.
//
// Each row is flushed as it is written; a run killed mid-row leaves at most
// one partial last line, which keep_rows_up_to drops on resume.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace knnformer {

inline constexpr std::string_view kMetricsHeader =
    "step,tokens,train_loss,val_loss,lr,grad_norm,ms_per_step,tokens_per_s";

// The first extra column of a run on data with answers to count (a loss
// mask): the val accuracy at the evaluated steps (train/evaluation.h).
inline constexpr std::string_view kValAccuracyColumn = "val_accuracy";

struct MetricsRow {
  int64_t step = 0;
  int64_t tokens = 0;
  double train_loss = 0;
  std::optional<double> val_loss;
  double lr = 0;
  double grad_norm = 0;
  double ms_per_step = 0;
  double tokens_per_s = 0;
};

// The values of a row's extra columns, in the columns' order; none: an empty cell.
using ExtraValues = std::vector<std::optional<double>>;

// The row as one CSV line, without the newline.
std::string to_csv(const MetricsRow& row);

class MetricsLog {
 public:
  // extra_columns: the names of the columns after the standard ones.
  explicit MetricsLog(const std::filesystem::path& path, std::vector<std::string> extra_columns = {});
  // extra: one value (or none) per extra column.
  void append(const MetricsRow& row, const ExtraValues& extra = {});

 private:
  std::filesystem::path path_;
  std::vector<std::string> extra_columns_;
  std::ofstream file_;
};

// Drops the rows after `step` (and any partial line), atomically: a resumed
// run continues the file from its checkpoint's step.
void keep_rows_up_to(const std::filesystem::path& path, int64_t step);

}  // namespace knnformer
