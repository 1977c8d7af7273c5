#include "train/plot_data.h"

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

std::string block(const std::string& name, const char* kind, const Curve& curve, bool val) {
  std::string text = "# " + name + ": " + kind + " loss\n";
  for (const CurvePoint& point : curve) {
    if (!val) text += point_line(point, point.train_loss);
    else if (point.val_loss) text += point_line(point, *point.val_loss);
  }
  return text;
}

}  // namespace

std::string plot_data_text(const std::vector<std::string>& names, const Alignment& aligned) {
  assert(names.size() == aligned.curves.size());
  std::string text = "# knnformer compare, by " + std::string(axis_name(aligned.axis)) +
                     ": the points of the plot; columns: step tokens seconds loss\n";
  for (size_t r = 0; r < names.size(); ++r) {
    // A block ends with two blank lines, which gnuplot's `index` counts.
    text += block(names[r], "train", aligned.curves[r], false) + "\n\n";
    text += block(names[r], "val", aligned.curves[r], true) + "\n\n";
  }
  return text;
}

}  // namespace knnformer
