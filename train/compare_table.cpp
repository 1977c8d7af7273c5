#include "train/compare_table.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

#include "train/number_text.h"

namespace knnformer {

namespace {

// A figure that a run may lack (never evaluated): "-" then.
std::string printed_or_dash(const char* format, std::optional<double> value) {
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

const std::vector<Column>& loss_columns() {
  static const std::vector<Column> all = {
      {"run", false, [](const RunSummary& s) { return s.name; }},
      {"attention", false, [](const RunSummary& s) { return s.attention.mode; }},
      {"backward", false, [](const RunSummary& s) { return s.attention.backward; }},
      {"k", true, [](const RunSummary& s) { return s.attention.k; }},
      {"samples", true, [](const RunSummary& s) { return s.attention.samples; }},
      {"index", false, [](const RunSummary& s) { return s.attention.index; }},
      {"steps", true, [](const RunSummary& s) { return std::to_string(s.steps); }},
      {"final val", true, [](const RunSummary& s) { return printed_or_dash("%.4f", s.final_val); }},
      {"final ppl", true, [](const RunSummary& s) { return printed_or_dash("%.2f", perplexity(s.final_val)); }},
      {"final gap", true, [](const RunSummary& s) { return printed_or_dash("%+.2f%%", s.final_gap_percent); }},
      {"best val", true, [](const RunSummary& s) { return printed_or_dash("%.4f", s.best_val); }},
      {"best ppl", true, [](const RunSummary& s) { return printed_or_dash("%.2f", perplexity(s.best_val)); }},
      {"best at", true, [](const RunSummary& s) { return s.best_val ? std::to_string(s.best_step) : "-"; }},
      {"best gap", true, [](const RunSummary& s) { return printed_or_dash("%+.2f%%", s.best_gap_percent); }},
      {"ms/step", true, [](const RunSummary& s) { return printed("%.1f", s.median_ms_per_step); }},
      {"tokens/s", true, [](const RunSummary& s) { return printed("%.0f", s.median_tokens_per_s); }},
      {"speed", true, [](const RunSummary& s) { return printed("%.2fx", s.speed_ratio); }},
  };
  return all;
}

// "93.8%" for a fraction of 0.9375.
std::string percent(double fraction) { return printed("%.1f%%", 100 * fraction); }

std::string step_reached(const std::optional<AccuracyReached>& reached) {
  return reached ? std::to_string(reached->step) : "-";
}

std::string time_reached(const std::optional<AccuracyReached>& reached) {
  return reached ? duration_text(reached->seconds) : "-";
}

// A cell of the run's accuracy figures; "-" for a run without them.
template <typename Cell>
std::function<std::string(const RunSummary&)> accuracy_cell(Cell cell) {
  return [cell](const RunSummary& s) { return s.accuracy ? cell(*s.accuracy) : std::string("-"); };
}

const std::vector<Column>& accuracy_columns() {
  using A = AccuracySummary;
  static const std::vector<Column> all = {
      {"run", false, [](const RunSummary& s) { return s.name; }},
      {"final acc", true, accuracy_cell([](const A& a) { return percent(a.final_accuracy); })},
      {"best acc", true, accuracy_cell([](const A& a) { return percent(a.best_accuracy); })},
      {"best at", true, accuracy_cell([](const A& a) { return std::to_string(a.best_step); })},
      {"steps to 50%", true, accuracy_cell([](const A& a) { return step_reached(a.reached_50_percent); })},
      {"time to 50%", true, accuracy_cell([](const A& a) { return time_reached(a.reached_50_percent); })},
      {"steps to 90%", true, accuracy_cell([](const A& a) { return step_reached(a.reached_90_percent); })},
      {"time to 90%", true, accuracy_cell([](const A& a) { return time_reached(a.reached_90_percent); })},
      {"time to 90% vs first", true,
       accuracy_cell([](const A& a) { return printed_or_dash("%.2fx", a.time_to_90_percent_ratio); })},
  };
  return all;
}

using Cells = std::vector<std::string>;

std::string padded(const std::string& text, size_t width, bool right) {
  const std::string padding(width - std::min(width, text.size()), ' ');
  return right ? padding + text : text + padding;
}

// Lines of cells in columns two spaces apart, each as wide as its widest
// cell; no spaces after a line's last cell.
std::string aligned_table(const std::vector<Cells>& lines, const std::vector<bool>& right_aligned) {
  std::vector<size_t> widths(right_aligned.size(), 0);
  for (const Cells& cells : lines)
    for (size_t c = 0; c < cells.size(); ++c) widths[c] = std::max(widths[c], cells[c].size());
  std::string table;
  for (const Cells& cells : lines) {
    std::string line;
    for (size_t c = 0; c < cells.size(); ++c) line += (c ? "  " : "") + padded(cells[c], widths[c], right_aligned[c]);
    line.erase(line.find_last_not_of(' ') + 1);
    table += line + "\n";
  }
  return table;
}

// NAME.N with N a number: part N of the figure NAME (a layer's, say).
bool is_part_of_figure(const std::string& name) {
  const size_t dot = name.rfind('.');
  return dot != std::string::npos && dot > 0 && dot + 1 < name.size() &&
         std::all_of(name.begin() + static_cast<std::ptrdiff_t>(dot) + 1, name.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

// The figure names of all runs, each once, in the order they first appear;
// not the parts of figures.
std::vector<std::string> figure_names(const std::vector<RunSummary>& summaries) {
  std::vector<std::string> names;
  for (const RunSummary& summary : summaries)
    for (const FigureMean& figure : summary.figures)
      if (!is_part_of_figure(figure.name) && std::find(names.begin(), names.end(), figure.name) == names.end())
        names.push_back(figure.name);
  return names;
}

std::string figure_cell(const RunSummary& summary, const std::string& name) {
  for (const FigureMean& figure : summary.figures)
    if (figure.name == name) return printed("%.4g", figure.mean);
  return "-";
}

// A header line of the columns' names, then one line per run.
std::string runs_table(const std::vector<Column>& columns, const std::vector<RunSummary>& summaries) {
  std::vector<Cells> lines(1);
  std::vector<bool> right_aligned;
  for (const Column& column : columns) {
    lines.front().push_back(column.header);
    right_aligned.push_back(column.is_number);
  }
  for (const RunSummary& summary : summaries) {
    Cells& cells = lines.emplace_back();
    for (const Column& column : columns) cells.push_back(column.cell(summary));
  }
  return aligned_table(lines, right_aligned);
}

}  // namespace

std::string duration_text(double seconds) {
  if (seconds < 100) return printed("%.2f s", seconds);
  return printed("%.1f min", seconds / 60);
}

std::string format_compare_table(const std::vector<RunSummary>& summaries) {
  return runs_table(loss_columns(), summaries);
}

std::string format_accuracy_table(const std::vector<RunSummary>& summaries) {
  const bool any_accuracy =
      std::any_of(summaries.begin(), summaries.end(), [](const RunSummary& s) { return s.accuracy.has_value(); });
  if (!any_accuracy) return "";
  return runs_table(accuracy_columns(), summaries);
}

std::string format_figures_table(const std::vector<RunSummary>& summaries) {
  const std::vector<std::string> names = figure_names(summaries);
  if (names.empty()) return "";
  std::vector<Cells> lines{{"figure (mean over the rows that log it)"}};
  for (const RunSummary& summary : summaries) lines.front().push_back(summary.name);
  for (const std::string& name : names) {
    Cells& cells = lines.emplace_back(Cells{name});
    for (const RunSummary& summary : summaries) cells.push_back(figure_cell(summary, name));
  }
  std::vector<bool> right_aligned(summaries.size() + 1, true);
  right_aligned.front() = false;
  return aligned_table(lines, right_aligned);
}

}  // namespace knnformer
