#pragma once
// Reading a run's metrics.csv back: the rows MetricsLog wrote.
//
//   const MetricsFile metrics = parse_metrics_csv(read_file(path), path.string());
//   for (const MetricsRow& row : metrics.rows) ...
//   if (metrics.cut_short) ...   // the last line was incomplete and is not in rows
//
// Columns are found by their names in the header. Columns MetricsRow does
// not have (attention-fidelity figures, say) are kept as numbers by name, an
// empty field meaning none at that row. A last line without its newline is a row that a killed run, or one
// still writing, left half-written: it is dropped and `cut_short` says so.
// Any other malformed line is an Error naming the file and the line number.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "train/metrics_log.h"

namespace knnformer {

struct MetricsFile {
  std::vector<MetricsRow> rows;            // the complete rows, in file order
  std::vector<std::string> extra_columns;  // the other columns' names, in file order
  std::vector<ExtraValues> extra;          // extra[i][c]: row i's value of extra_columns[c]
  bool cut_short = false;                  // a partial last line was dropped
};

// `source` names the file in error messages.
MetricsFile parse_metrics_csv(std::string_view text, const std::string& source);

}  // namespace knnformer
