#include "train/compare_alignment.h"

#include <algorithm>
#include <cassert>
#include <set>
#include <string>

#include "core/error.h"
#include "train/metrics_log.h"

namespace knnformer {

namespace {

// The largest step (or token count) logged by every run, if any.
std::optional<double> last_shared_position(const std::vector<Curve>& curves, CompareAxis axis) {
  std::set<double> shared;
  for (const CurvePoint& point : curves.front()) shared.insert(position(point, axis));
  for (const Curve& curve : curves) {
    std::set<double> in_both;
    for (const CurvePoint& point : curve)
      if (shared.count(position(point, axis))) in_both.insert(position(point, axis));
    shared = std::move(in_both);
  }
  if (shared.empty()) return std::nullopt;
  return *shared.rbegin();
}

double shortest_time(const std::vector<Curve>& curves) {
  double shortest = curves.front().back().seconds;
  for (const Curve& curve : curves) shortest = std::min(shortest, curve.back().seconds);
  return shortest;
}

// Whether the point's last step began within the limit. A run stopped by a
// time limit ends with the step that crossed it, so runs given the same
// budget end a fraction of a step apart; each keeps its last point.
bool began_within(const CurvePoint& point, double limit) { return point.seconds - point.ms_per_step / 1000.0 <= limit; }

}  // namespace

Curve curve_of(const ComparedRun& run) {
  const std::vector<std::optional<double>> val_accuracy = run.extra_column(kValAccuracyColumn);
  Curve curve;
  int64_t previous_step = 0;
  double seconds = 0;
  for (size_t i = 0; i < run.rows.size(); ++i) {
    const MetricsRow& row = run.rows[i];
    seconds += row.ms_per_step / 1000.0 * static_cast<double>(row.step - previous_step);
    previous_step = row.step;
    curve.push_back({.step = row.step,
                     .tokens = row.tokens,
                     .seconds = seconds,
                     .train_loss = row.train_loss,
                     .val_loss = row.val_loss,
                     .val_accuracy = val_accuracy[i],
                     .ms_per_step = row.ms_per_step,
                     .tokens_per_s = row.tokens_per_s});
  }
  return curve;
}

double position(const CurvePoint& point, CompareAxis axis) {
  switch (axis) {
    case CompareAxis::step: return static_cast<double>(point.step);
    case CompareAxis::tokens: return static_cast<double>(point.tokens);
    case CompareAxis::time: return point.seconds;
  }
  return 0;
}

Alignment align_curves(const std::vector<Curve>& curves, CompareAxis axis) {
  assert(!curves.empty());
  assert(std::none_of(curves.begin(), curves.end(), [](const Curve& curve) { return curve.empty(); }));
  Alignment aligned;
  aligned.axis = axis;
  if (axis == CompareAxis::time) {
    aligned.limit = shortest_time(curves);
    for (const Curve& curve : curves)
      require(curve.front().seconds <= aligned.limit,
              "the runs share no stretch of training time: one logged its first row after another had stopped "
              "(try --by step)");
  } else {
    const std::optional<double> limit = last_shared_position(curves, axis);
    require(limit.has_value(), "the runs share no logged " + std::string(name_of(axis)) +
                                   ": nothing to compare them at (try --by time)");
    aligned.limit = *limit;
  }
  for (const Curve& curve : curves) {
    Curve& kept = aligned.curves.emplace_back();
    for (const CurvePoint& point : curve) {
      const bool within = axis == CompareAxis::time ? began_within(point, aligned.limit)
                                                    : position(point, axis) <= aligned.limit;
      if (within) kept.push_back(point);
    }
  }
  return aligned;
}

}  // namespace knnformer
