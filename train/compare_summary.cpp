#include "train/compare_summary.h"

#include <algorithm>
#include <cassert>

#include "layers/attention/attention_options.h"
#include "train/metrics_log.h"

namespace knnformer {

namespace {

constexpr const char* kUnused = "-";

double median(std::vector<double> values) {
  assert(!values.empty());
  const size_t middle = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(middle), values.end());
  const double upper = values[middle];
  if (values.size() % 2 == 1) return upper;
  const double lower = *std::max_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(middle));
  return (lower + upper) / 2;
}

std::optional<double> gap_percent(std::optional<double> value, std::optional<double> reference) {
  if (!value || !reference) return std::nullopt;
  return 100.0 * (*value - *reference) / *reference;
}

// The mean of each extra column but the val accuracy over the run's rows up
// to the last step compared.
std::vector<FigureMean> figure_means(const ComparedRun& run, int64_t last_step) {
  std::vector<FigureMean> figures;
  for (size_t c = 0; c < run.extra_columns.size(); ++c) {
    if (run.extra_columns[c] == kValAccuracyColumn) continue;
    double sum = 0;
    int64_t count = 0;
    for (size_t i = 0; i < run.rows.size() && run.rows[i].step <= last_step; ++i)
      if (const std::optional<double> value = run.extra[i][c]) {
        sum += *value;
        ++count;
      }
    if (count > 0) figures.push_back({.name = run.extra_columns[c], .mean = sum / static_cast<double>(count)});
  }
  return figures;
}

std::optional<AccuracyReached> first_reaching(const Curve& curve, double threshold) {
  const auto reached = std::find_if(curve.begin(), curve.end(), [&](const CurvePoint& point) {
    return point.val_accuracy && *point.val_accuracy >= threshold;
  });
  if (reached == curve.end()) return std::nullopt;
  return AccuracyReached{.step = reached->step, .seconds = reached->seconds};
}

// None when the curve holds no val accuracy.
std::optional<AccuracySummary> summarize_accuracy(const Curve& curve) {
  const CurvePoint* best = nullptr;
  const CurvePoint* last = nullptr;
  for (const CurvePoint& point : curve) {
    if (!point.val_accuracy) continue;
    last = &point;
    if (!best || *point.val_accuracy > *best->val_accuracy) best = &point;
  }
  if (!last) return std::nullopt;
  return AccuracySummary{.final_accuracy = *last->val_accuracy,
                         .best_accuracy = *best->val_accuracy,
                         .best_step = best->step,
                         .reached_50_percent = first_reaching(curve, 0.5),
                         .reached_90_percent = first_reaching(curve, 0.9),
                         .time_to_90_percent_ratio = std::nullopt};  // against the first run: later
}

// This run's training time to a threshold over the reference's; none unless
// both reached it in time that was logged (a hand-written ms_per_step may be 0).
std::optional<double> time_ratio(const std::optional<AccuracyReached>& reached,
                                 const std::optional<AccuracyReached>& reference) {
  if (!reached || !reference || reference->seconds <= 0) return std::nullopt;
  return reached->seconds / reference->seconds;
}

// The figures of one run on its aligned curve; the gaps and ratios come later.
RunSummary summarize_curve(const ComparedRun& run, const Curve& curve) {
  RunSummary summary;
  summary.name = run.name;
  summary.attention = attention_setup(run.config);
  summary.steps = curve.back().step;
  std::vector<double> ms_per_step, tokens_per_s;
  for (const CurvePoint& point : curve) {
    ms_per_step.push_back(point.ms_per_step);
    tokens_per_s.push_back(point.tokens_per_s);
    if (!point.val_loss) continue;
    summary.final_val = point.val_loss;
    if (!summary.best_val || *point.val_loss < *summary.best_val) {
      summary.best_val = point.val_loss;
      summary.best_step = point.step;
    }
  }
  summary.median_ms_per_step = median(std::move(ms_per_step));
  summary.median_tokens_per_s = median(std::move(tokens_per_s));
  summary.figures = figure_means(run, summary.steps);
  summary.accuracy = summarize_accuracy(curve);
  return summary;
}

}  // namespace

AttentionSetup attention_setup(const RunConfig& config) {
  const AttentionOptions options = config.model(/*vocab_size=*/1).attention;  // the vocabulary plays no part
  const bool approximate = options.mode != AttentionKind::exact;
  const int64_t head_dim = config.n_embd / config.n_head;
  return {.mode = std::string(name_of(options.mode)),
          .backward = std::string(name_of(options.effective_backward())),
          .k = approximate ? std::to_string(choose_knn_k(options, config.context, head_dim)) : kUnused,
          .samples = options.draws_samples() ? std::to_string(options.samples) : kUnused,
          .index = approximate ? std::string(name_of(options.knn_index)) : kUnused};
}

std::vector<RunSummary> summarize_runs(const std::vector<ComparedRun>& runs, const Alignment& aligned) {
  assert(runs.size() == aligned.curves.size() && !runs.empty());
  std::vector<RunSummary> summaries;
  for (size_t r = 0; r < runs.size(); ++r) summaries.push_back(summarize_curve(runs[r], aligned.curves[r]));
  const RunSummary first = summaries.front();
  for (RunSummary& summary : summaries) {
    summary.final_gap_percent = gap_percent(summary.final_val, first.final_val);
    summary.best_gap_percent = gap_percent(summary.best_val, first.best_val);
    summary.speed_ratio = first.median_ms_per_step / summary.median_ms_per_step;
    if (summary.accuracy && first.accuracy)
      summary.accuracy->time_to_90_percent_ratio =
          time_ratio(summary.accuracy->reached_90_percent, first.accuracy->reached_90_percent);
  }
  return summaries;
}

}  // namespace knnformer
