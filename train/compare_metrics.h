#pragma once
// Reading a run's metrics.csv back: the rows MetricsLog wrote.
//
//   const MetricsFile metrics = parse_metrics_csv(read_file(path), path.string());
//   for (const MetricsRow& row : metrics.rows) ...
//   if (metrics.cut_short) ...   // the last line was incomplete and is not in rows
//
// Columns are found by their names in the header, so a file with more
// columns than MetricsRow knows (attention-fidelity figures, say) reads the
// same. A last line without its newline is a row that a killed run, or one
// still writing, left half-written: it is dropped and `cut_short` says so.
// Any other malformed line is an Error naming the file and the line number.
#include <string>
#include <string_view>
#include <vector>

#include "train/metrics_log.h"

namespace knnformer {

struct MetricsFile {
  std::vector<MetricsRow> rows;  // the complete rows, in file order
  bool cut_short = false;        // a partial last line was dropped
};

// `source` names the file in error messages.
MetricsFile parse_metrics_csv(std::string_view text, const std::string& source);

}  // namespace knnformer
