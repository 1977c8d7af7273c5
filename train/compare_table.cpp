#include "train/compare_table.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

namespace knnformer {

namespace {

std::string printed(const char* format, double value) {
  char text[64];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

std::string printed(const char* format, std::optional<double> value) {
  return value ? printed(format, *value) : "-";
}

std::optional<double> perplexity(std::optional<double> loss) {
  if (!loss) return std::nullopt;
  return std::exp(*loss);
}

struct Column {
  const char* header;
  bool is_number;  // numbers are aligned right, so that their digits line up
  std::function<std::string(const RunSummary&)> cell;
};

const std::vector<Column>& columns() {
  static const std::vector<Column> all = {
      {"run", false, [](const RunSummary& s) { return s.name; }},
      {"attention", false, [](const RunSummary& s) { return s.attention.mode; }},
      {"backward", false, [](const RunSummary& s) { return s.attention.backward; }},
      {"k", true, [](const RunSummary& s) { return s.attention.k; }},
      {"samples", true, [](const RunSummary& s) { return s.attention.samples; }},
      {"index", false, [](const RunSummary& s) { return s.attention.index; }},
      {"steps", true, [](const RunSummary& s) { return std::to_string(s.steps); }},
      {"final val", true, [](const RunSummary& s) { return printed("%.4f", s.final_val); }},
      {"final ppl", true, [](const RunSummary& s) { return printed("%.2f", perplexity(s.final_val)); }},
      {"final gap", true, [](const RunSummary& s) { return printed("%+.2f%%", s.final_gap_percent); }},
      {"best val", true, [](const RunSummary& s) { return printed("%.4f", s.best_val); }},
      {"best ppl", true, [](const RunSummary& s) { return printed("%.2f", perplexity(s.best_val)); }},
      {"best at", true, [](const RunSummary& s) { return s.best_val ? std::to_string(s.best_step) : "-"; }},
      {"best gap", true, [](const RunSummary& s) { return printed("%+.2f%%", s.best_gap_percent); }},
      {"ms/step", true, [](const RunSummary& s) { return printed("%.1f", s.median_ms_per_step); }},
      {"tokens/s", true, [](const RunSummary& s) { return printed("%.0f", s.median_tokens_per_s); }},
      {"speed", true, [](const RunSummary& s) { return printed("%.2fx", s.speed_ratio); }},
  };
  return all;
}

std::string padded(const std::string& text, size_t width, bool right) {
  const std::string padding(width - std::min(width, text.size()), ' ');
  return right ? padding + text : text + padding;
}

// One line of cells; no spaces after the last.
std::string table_line(const std::vector<std::string>& cells, const std::vector<size_t>& widths) {
  std::string line;
  for (size_t c = 0; c < cells.size(); ++c)
    line += (c ? "  " : "") + padded(cells[c], widths[c], columns()[c].is_number);
  line.erase(line.find_last_not_of(' ') + 1);
  return line + "\n";
}

}  // namespace

std::string format_compare_table(const std::vector<RunSummary>& summaries) {
  std::vector<std::vector<std::string>> lines(1);
  for (const Column& column : columns()) lines.front().push_back(column.header);
  for (const RunSummary& summary : summaries) {
    std::vector<std::string>& cells = lines.emplace_back();
    for (const Column& column : columns()) cells.push_back(column.cell(summary));
  }
  std::vector<size_t> widths(columns().size(), 0);
  for (const auto& cells : lines)
    for (size_t c = 0; c < cells.size(); ++c) widths[c] = std::max(widths[c], cells[c].size());
  std::string table;
  for (const auto& cells : lines) table += table_line(cells, widths);
  return table;
}

}  // namespace knnformer
