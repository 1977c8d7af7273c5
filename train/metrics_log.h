#pragma once
// MetricsLog: RUN_DIR/metrics.csv, one row per logged step.
//
//   MetricsLog log(run_dir / "metrics.csv");   // creates it with its header, or appends
//   log.append({.step = 10, .tokens = 20480, .train_loss = 2.31, ...});
//
// Columns, in this order (users' scripts depend on them; more may follow):
//   step,tokens,train_loss,val_loss,lr,grad_norm,ms_per_step,tokens_per_s
// val_loss is empty where the step was not evaluated. Numbers are printed
// with fixed formats, so that two runs computing the same values write the
// same bytes: a resumed run's rows equal the uninterrupted run's except for
// the two timing columns.
//
// Each row is flushed as it is written; a run killed mid-row leaves at most
// one partial last line, which keep_rows_up_to drops on resume.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

namespace knnformer {

inline constexpr std::string_view kMetricsHeader =
    "step,tokens,train_loss,val_loss,lr,grad_norm,ms_per_step,tokens_per_s";

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

// The row as one CSV line, without the newline.
std::string to_csv(const MetricsRow& row);

class MetricsLog {
 public:
  explicit MetricsLog(const std::filesystem::path& path);
  void append(const MetricsRow& row);

 private:
  std::filesystem::path path_;
  std::ofstream file_;
};

// Drops the rows after `step` (and any partial line), atomically: a resumed
// run continues the file from its checkpoint's step.
void keep_rows_up_to(const std::filesystem::path& path, int64_t step);

}  // namespace knnformer
