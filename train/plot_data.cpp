#include "train/plot_data.h"

#include <algorithm>
#include <cassert>
#include <cstdio>

namespace knnformer {

namespace {

std::string point_line(const CurvePoint& point, double loss) {
  char line[128];
  std::snprintf(line, sizeof line, "%lld %lld %.3f %.6f\n", static_cast<long long>(point.step),
                static_cast<long long>(point.tokens), point.seconds, loss);
  return line;
}

std::string block_text(const std::string& name, const Curve& curve, bool is_val) {
  std::string text = "# " + name + (is_val ? ": val loss\n" : ": train loss\n");
  for (const CurvePoint& point : curve) {
    if (!is_val) text += point_line(point, point.train_loss);
    else if (point.val_loss) text += point_line(point, *point.val_loss);
  }
  return text;
}

}  // namespace

std::vector<PlotBlock> plot_blocks(const Alignment& aligned) {
  std::vector<PlotBlock> blocks;
  for (size_t r = 0; r < aligned.curves.size(); ++r) {
    const Curve& curve = aligned.curves[r];
    blocks.push_back({.run = r, .is_val = false});  // never empty: an aligned curve has a point
    if (std::any_of(curve.begin(), curve.end(), [](const CurvePoint& point) { return point.val_loss; }))
      blocks.push_back({.run = r, .is_val = true});
  }
  return blocks;
}

std::string plot_data_text(const std::vector<std::string>& names, const Alignment& aligned) {
  assert(names.size() == aligned.curves.size());
  std::string text = "# knnformer compare, by " + std::string(name_of(aligned.axis)) +
                     ": the points of the plot; columns: step tokens seconds loss\n";
  for (const PlotBlock& block : plot_blocks(aligned))
    text += block_text(names[block.run], aligned.curves[block.run], block.is_val) + "\n\n";
  return text;
}

}  // namespace knnformer
