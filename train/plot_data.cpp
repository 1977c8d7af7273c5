#include "train/plot_data.h"

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <optional>

namespace knnformer {

namespace {

// The value of the curve of this kind at the point; none where the run was not evaluated.
std::optional<double> value_at(const CurvePoint& point, CurveKind kind) {
  switch (kind) {
    case CurveKind::train_loss: return point.train_loss;
    case CurveKind::val_loss: return point.val_loss;
    case CurveKind::val_accuracy: return point.val_accuracy;
  }
  return std::nullopt;
}

bool has_points(const Curve& curve, CurveKind kind) {
  return std::any_of(curve.begin(), curve.end(), [&](const CurvePoint& point) { return value_at(point, kind); });
}

std::string point_line(const CurvePoint& point, double value) {
  char line[128];
  std::snprintf(line, sizeof line, "%lld %lld %.3f %.6f\n", static_cast<long long>(point.step),
                static_cast<long long>(point.tokens), point.seconds, value);
  return line;
}

std::string block_text(const std::string& name, const Curve& curve, CurveKind kind) {
  std::string text = "# " + name + ": " + std::string(name_of(kind)) + "\n";
  for (const CurvePoint& point : curve)
    if (const std::optional<double> value = value_at(point, kind)) text += point_line(point, *value);
  return text;
}

std::string header(const Alignment& aligned, bool with_accuracy) {
  return "# knnformer compare, by " + std::string(name_of(aligned.axis)) +
         ": the points of the plot; columns: step tokens seconds " +
         (with_accuracy ? "value (the loss, or the accuracy in the val accuracy blocks)\n" : "loss\n");
}

}  // namespace

std::vector<PlotBlock> plot_blocks(const Alignment& aligned) {
  std::vector<PlotBlock> blocks;
  const size_t runs = aligned.curves.size();
  for (size_t r = 0; r < runs; ++r)
    for (const CurveKind kind : {CurveKind::train_loss, CurveKind::val_loss})
      if (has_points(aligned.curves[r], kind)) blocks.push_back({.run = r, .kind = kind});
  for (size_t r = 0; r < runs; ++r)
    if (has_points(aligned.curves[r], CurveKind::val_accuracy))
      blocks.push_back({.run = r, .kind = CurveKind::val_accuracy});
  return blocks;
}

bool has_accuracy(const std::vector<PlotBlock>& blocks) {
  return std::any_of(blocks.begin(), blocks.end(),
                     [](const PlotBlock& block) { return block.kind == CurveKind::val_accuracy; });
}

std::string plot_data_text(const std::vector<std::string>& names, const Alignment& aligned) {
  assert(names.size() == aligned.curves.size());
  const std::vector<PlotBlock> blocks = plot_blocks(aligned);
  std::string text = header(aligned, has_accuracy(blocks));
  for (const PlotBlock& block : blocks)
    text += block_text(names[block.run], aligned.curves[block.run], block.kind) + "\n\n";
  return text;
}

}  // namespace knnformer
