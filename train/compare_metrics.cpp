#include "train/compare_metrics.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <type_traits>

#include "core/error.h"

namespace knnformer {

namespace {

std::vector<std::string_view> split(std::string_view line, char separator) {
  std::vector<std::string_view> fields;
  size_t begin = 0;
  for (size_t end = line.find(separator); end != std::string_view::npos; end = line.find(separator, begin)) {
    fields.push_back(line.substr(begin, end - begin));
    begin = end + 1;
  }
  fields.push_back(line.substr(begin));
  return fields;
}

// The lines of the text; a last line without its newline is left in `rest`.
struct Lines {
  std::vector<std::string_view> complete;
  std::string_view rest;
};

Lines split_lines(std::string_view text) {
  Lines lines;
  size_t begin = 0;
  for (size_t end = text.find('\n'); end != std::string_view::npos; end = text.find('\n', begin)) {
    lines.complete.push_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  lines.rest = text.substr(begin);
  return lines;
}

// Where each column sits in a line, found by name in the header.
struct ColumnPositions {
  static constexpr std::array<std::string_view, 8> kNames = {"step",      "tokens",    "train_loss",  "val_loss",
                                                             "lr",        "grad_norm", "ms_per_step", "tokens_per_s"};
  std::array<size_t, kNames.size()> index{};  // of MetricsRow's columns, in the order of kNames
  std::vector<size_t> extra_index;            // of the other columns
  std::vector<std::string> extra_names;
  size_t count = 0;                           // fields in a line of this file
};

ColumnPositions find_columns(std::string_view header, const std::string& source) {
  const std::vector<std::string_view> names = split(header, ',');
  ColumnPositions columns;
  columns.count = names.size();
  for (size_t c = 0; c < columns.kNames.size(); ++c) {
    const auto found = std::find(names.begin(), names.end(), columns.kNames[c]);
    require(found != names.end(), source + ": the header has no column '" + std::string(columns.kNames[c]) +
                                      "' (is this a knnformer metrics file?)");
    columns.index[c] = static_cast<size_t>(found - names.begin());
  }
  for (size_t i = 0; i < names.size(); ++i) {
    if (std::find(columns.kNames.begin(), columns.kNames.end(), names[i]) != columns.kNames.end()) continue;
    columns.extra_index.push_back(i);
    columns.extra_names.emplace_back(names[i]);
  }
  return columns;
}

template <typename Number>
Number parse_number(std::string_view field, std::string_view column, const std::string& where) {
  Number value{};
  const auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), value);
  require(error == std::errc() && end == field.data() + field.size() && !field.empty(),
          where + ": " + std::string(column) + " '" + std::string(field) + "' is not a number");
  if constexpr (std::is_floating_point_v<Number>)
    require(std::isfinite(value), where + ": " + std::string(column) + " is " + std::string(field));
  return value;
}

std::vector<std::string_view> split_fields(std::string_view line, const ColumnPositions& columns,
                                           const std::string& where) {
  std::vector<std::string_view> fields = split(line, ',');
  require(fields.size() == columns.count, where + ": " + std::to_string(fields.size()) + " fields, expected " +
                                              std::to_string(columns.count) + " as in the header");
  return fields;
}

MetricsRow parse_row(const std::vector<std::string_view>& fields, const ColumnPositions& columns,
                     const std::string& where) {
  const auto field = [&](size_t c) { return fields[columns.index[c]]; };
  const auto number = [&](size_t c) { return parse_number<double>(field(c), columns.kNames[c], where); };
  const auto integer = [&](size_t c) { return parse_number<int64_t>(field(c), columns.kNames[c], where); };
  return {.step = integer(0),
          .tokens = integer(1),
          .train_loss = number(2),
          .val_loss = field(3).empty() ? std::nullopt : std::optional(number(3)),  // not evaluated at this step
          .lr = number(4),
          .grad_norm = number(5),
          .ms_per_step = number(6),
          .tokens_per_s = number(7)};
}

ExtraValues parse_extra(const std::vector<std::string_view>& fields, const ColumnPositions& columns,
                        const std::string& where) {
  ExtraValues values;
  for (size_t c = 0; c < columns.extra_index.size(); ++c) {
    const std::string_view field = fields[columns.extra_index[c]];
    values.push_back(field.empty() ? std::nullopt
                                   : std::optional(parse_number<double>(field, columns.extra_names[c], where)));
  }
  return values;
}

}  // namespace

MetricsFile parse_metrics_csv(std::string_view text, const std::string& source) {
  const Lines lines = split_lines(text);
  require(!lines.complete.empty(), source + ": no header line (the run has not logged anything yet?)");
  const ColumnPositions columns = find_columns(lines.complete.front(), source);
  MetricsFile metrics{.rows = {}, .extra_columns = columns.extra_names, .extra = {}, .cut_short = false};
  for (size_t i = 1; i < lines.complete.size(); ++i) {
    const std::string where = source + ":" + std::to_string(i + 1);
    const std::vector<std::string_view> fields = split_fields(lines.complete[i], columns, where);
    const MetricsRow row = parse_row(fields, columns, where);
    if (!metrics.rows.empty()) {
      const int64_t previous = metrics.rows.back().step;
      require(row.step > previous, where + ": step " + std::to_string(row.step) + " does not follow step " +
                                       std::to_string(previous));
    }
    metrics.rows.push_back(row);
    metrics.extra.push_back(parse_extra(fields, columns, where));
  }
  metrics.cut_short = !lines.rest.empty();
  return metrics;
}

}  // namespace knnformer
