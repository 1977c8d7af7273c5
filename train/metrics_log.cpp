#include "train/metrics_log.h"

#include <charconv>
#include <cstdio>
#include <optional>
#include <string_view>
#include <sstream>

#include "core/error.h"
#include "train/atomic_file.h"
#include "train/number_text.h"

namespace knnformer {

std::string to_csv(const MetricsRow& row) {
  return std::to_string(row.step) + "," + std::to_string(row.tokens) + "," + printed("%.6f", row.train_loss) + "," +
         (row.val_loss ? printed("%.6f", *row.val_loss) : "") + "," + printed("%.6e", row.lr) + "," +
         printed("%.6f", row.grad_norm) + "," + printed("%.2f", row.ms_per_step) + "," +
         printed("%.1f", row.tokens_per_s);
}

MetricsLog::MetricsLog(const std::filesystem::path& path, std::vector<std::string> extra_columns)
    : path_(path), extra_columns_(std::move(extra_columns)) {
  const bool is_new = !std::filesystem::exists(path);
  file_.open(path, std::ios::app);
  require(file_.good(), path.string() + ": cannot open for writing");
  if (!is_new) return;
  file_ << kMetricsHeader;
  for (const std::string& column : extra_columns_) file_ << "," << column;
  file_ << "\n" << std::flush;
}

void MetricsLog::append(const MetricsRow& row, const ExtraValues& extra) {
  require(extra.size() == extra_columns_.size(), path_.string() + ": a row of " + std::to_string(extra.size()) +
                                                     " extra values for " + std::to_string(extra_columns_.size()) +
                                                     " extra columns");
  std::string line = to_csv(row);
  for (const std::optional<double>& value : extra) {
    line += ',';
    if (value) line += printed("%.6g", *value);
  }
  file_ << line << "\n" << std::flush;
  require(file_.good(), path_.string() + ": write failed");
}

namespace {

// The step at the start of a row ("120,245760,..." → 120), or nullopt.
std::optional<int64_t> row_step(std::string_view line) {
  int64_t step = 0;
  const auto [end, error] = std::from_chars(line.data(), line.data() + line.size(), step);
  if (error != std::errc() || end == line.data() || end == line.data() + line.size() || *end != ',')
    return std::nullopt;
  return step;
}

}  // namespace

void keep_rows_up_to(const std::filesystem::path& path, int64_t step) {
  if (!std::filesystem::exists(path)) return;
  const std::string text = read_file(path);
  require(text.starts_with(kMetricsHeader),
          path.string() + ": not a metrics file (its first line is not \"" + std::string(kMetricsHeader) + "...\")");
  std::string kept;
  int64_t line_number = 1;
  size_t begin = 0;
  for (size_t end = text.find('\n'); end != std::string::npos; begin = end + 1, end = text.find('\n', begin)) {
    const std::string_view line(text.data() + begin, end - begin);
    if (begin > 0) {
      const std::optional<int64_t> row = row_step(line);
      require(row.has_value(), path.string() + ": line " + std::to_string(line_number) +
                                   " is not a metrics row (the file is damaged; move it aside to resume)");
      if (*row > step) break;
    }
    kept.append(line) += '\n';
    ++line_number;
  }
  write_file_atomically(path, kept);
}

}  // namespace knnformer
