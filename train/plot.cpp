#include "train/plot.h"

#include <algorithm>

#include "core/error.h"
#include "train/atomic_file.h"
#include "train/plot_data.h"
#include "train/plot_gnuplot.h"
#include "train/plot_script.h"

namespace knnformer {

namespace fs = std::filesystem;

namespace {

double longest_seconds(const Alignment& aligned) {
  double longest = 0;
  for (const Curve& curve : aligned.curves) longest = std::max(longest, curve.back().seconds);
  return longest;
}

// A little above the highest first val loss of the runs: the plot shows
// where the runs are compared, not the steep first steps.
std::optional<double> loss_ceiling(const Alignment& aligned) {
  std::optional<double> ceiling;
  for (const Curve& curve : aligned.curves) {
    const auto first_val = std::find_if(curve.begin(), curve.end(), [](const CurvePoint& p) { return p.val_loss; });
    if (first_val != curve.end()) ceiling = std::max(ceiling.value_or(0.0), *first_val->val_loss * 1.05);
  }
  return ceiling;
}

}  // namespace

fs::path plot_data_path(const fs::path& image) { return fs::path(image).replace_extension(".dat"); }

void draw_compare_plot(const fs::path& image, const std::vector<std::string>& names, const Alignment& aligned) {
  const fs::path gnuplot = find_gnuplot();
  write_file_atomically(plot_data_path(image), plot_data_text(names, aligned));
  const PlotRequest request{.image = fs::path(image) += ".tmp",
                            .format = image_format(image),
                            .data = plot_data_path(image),
                            .names = names,
                            .blocks = plot_blocks(aligned),
                            // compared by time, the left panel still shows steps
                            .axis = aligned.axis == CompareAxis::tokens ? CompareAxis::tokens : CompareAxis::step,
                            .longest_seconds = longest_seconds(aligned),
                            .loss_ceiling = loss_ceiling(aligned)};
  try {
    run_gnuplot(gnuplot, gnuplot_script(request), fs::path(image).replace_extension(".gp"));
  } catch (const Error&) {
    std::error_code ignored;
    fs::remove(request.image, ignored);
    throw;
  }
  commit_file(request.image, image);
}

}  // namespace knnformer
