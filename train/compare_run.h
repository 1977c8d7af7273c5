#pragma once
// ComparedRun: a training run as `knnformer compare` reads it from its
// directory — the effective config and the logged metrics.
//
//   const std::vector<ComparedRun> runs = load_compared_runs({"runs/exact", "runs/knn"});
//   runs[1].name            // "knn": what the table and the legend call it
//   runs[1].config.attention
//   runs[1].rows.back().val_loss
//   runs[1].extra_column("val_accuracy")   // one value (or none) per row
//
// A folder without config.ini or metrics.csv, or whose metrics hold no
// complete row, is an Error naming it. A run still training (or killed) may
// end in a half-written row: that row is dropped and `metrics_cut_short`
// says so, for the caller to warn about.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "train/compare_metrics.h"
#include "train/metrics_log.h"
#include "train/run_config.h"

namespace knnformer {

struct ComparedRun {
  std::string name;                // the folder's name; its path when two folders share a name
  std::filesystem::path directory;
  RunConfig config;                // RUN_DIR/config.ini over the defaults
  std::vector<MetricsRow> rows;    // RUN_DIR/metrics.csv, its complete rows
  std::vector<std::string> extra_columns;  // its columns MetricsRow does not have
  std::vector<ExtraValues> extra;          // extra[i][c]: rows[i]'s value of extra_columns[c]
  bool metrics_cut_short = false;  // its last line was incomplete and is not in rows

  // The values of one extra column, one per row (none: an empty cell); all
  // none when the run does not log that column.
  std::vector<std::optional<double>> extra_column(std::string_view column) const;
};

ComparedRun load_compared_run(const std::filesystem::path& directory);

// Every run, in the order given; names made unique.
std::vector<ComparedRun> load_compared_runs(const std::vector<std::filesystem::path>& directories);

}  // namespace knnformer
